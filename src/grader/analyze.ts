/**
 * A few facts read from the submission's source (syntax tree, no type checking), used only to make
 * feedback point at lines: the numbers accuracy is compared with, assignments to stop-like properties,
 * and string literals that look like the required message. Verdicts never rest on these alone; they
 * come from what the run did.
 */
import type { SourceFile, Node as TsNode } from 'typescript';

export interface Comparison {
  line: number;
  /** The whole comparison as written, e.g. `logs.acc > 99`. */
  text: string;
  value: number;
  /** The other operand, e.g. `logs.acc`. */
  other: string;
  op: string;
}

export interface StopAssignment {
  line: number;
  text: string;
  /** The property name written, e.g. `stopTraning`. */
  name: string;
}

export interface SourceFacts {
  comparisons: Comparison[];
  stopAssignments: StopAssignment[];
  /** String literals that mention reaching/cancelling (line and text). */
  messages: { line: number; text: string }[];
}

export async function analyzeSource(sf: SourceFile): Promise<SourceFacts> {
  const ts = (await import('typescript')).default;
  const facts: SourceFacts = { comparisons: [], stopAssignments: [], messages: [] };
  const lineOf = (n: TsNode) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const numberOf = (n: TsNode): number | undefined => {
    if (ts.isNumericLiteral(n)) return Number(n.text);
    if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(n.operand)) return -Number(n.operand.text);
    if (ts.isParenthesizedExpression(n)) return numberOf(n.expression);
    return undefined;
  };
  const ops: Record<number, string> = {
    [ts.SyntaxKind.GreaterThanToken]: '>',
    [ts.SyntaxKind.GreaterThanEqualsToken]: '>=',
    [ts.SyntaxKind.LessThanToken]: '<',
    [ts.SyntaxKind.LessThanEqualsToken]: '<=',
  };
  const visit = (node: TsNode) => {
    if (ts.isBinaryExpression(node)) {
      const op = ops[node.operatorToken.kind];
      if (op) {
        const l = numberOf(node.left);
        const r = numberOf(node.right);
        if (l !== undefined || r !== undefined) {
          facts.comparisons.push({
            line: lineOf(node),
            text: node.getText(sf).replace(/\s+/g, ' ').slice(0, 120),
            value: (r ?? l)!,
            other: (r !== undefined ? node.left : node.right).getText(sf).replace(/\s+/g, ' ').slice(0, 80),
            op,
          });
        }
      }
      if (node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        const target = node.left;
        const name = ts.isPropertyAccessExpression(target)
          ? target.name.text
          : ts.isElementAccessExpression(target) && ts.isStringLiteral(target.argumentExpression)
            ? target.argumentExpression.text
            : undefined;
        if (name && /stop/i.test(name)) facts.stopAssignments.push({ line: lineOf(node), text: node.getText(sf).replace(/\s+/g, ' ').slice(0, 120), name });
      }
    }
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node)) && /reached|cancel/i.test(node.text)) {
      facts.messages.push({ line: lineOf(node), text: node.text.slice(0, 200) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return facts;
}
