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
  /** When the number comes from a constant: its name and the line it is set on, e.g. THRESHOLD, 3. */
  constant?: { name: string; line: number };
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
  /** Hooks declared with Python's habits: `onEpochEnd(self, epoch, logs)` (a leading `self`, or one parameter too many). */
  pythonHooks: { line: number; hook: string; params: string[] }[];
  /** Hooks written as arrow functions in an object literal that use `this` (which is then not the callback). */
  arrowThis: { line: number; hook: string }[];
  /** `x.fit(…)` calls whose promise is neither awaited, returned nor chained. */
  unawaitedFits: { line: number; text: string }[];
  /** Statements that compare a property instead of assigning it: `this.model.stopTraining == true;`. */
  comparedNotAssigned: { line: number; text: string; name: string }[];
  /** Lines of `return` statements, and whether the file builds a Proxy anywhere. */
  returnLines: number[];
  makesProxy: boolean;
}

const HOOK_NAMES = new Set(['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd']);
/** How many parameters each hook takes (logs last). */
const HOOK_ARITY: Record<string, number> = { onTrainBegin: 1, onTrainEnd: 1, onEpochBegin: 2, onEpochEnd: 2, onBatchBegin: 2, onBatchEnd: 2 };

export async function analyzeSource(sf: SourceFile): Promise<SourceFacts> {
  const ts = (await import('typescript')).default;
  const facts: SourceFacts = {
    comparisons: [],
    stopAssignments: [],
    messages: [],
    pythonHooks: [],
    arrowThis: [],
    unawaitedFits: [],
    comparedNotAssigned: [],
    returnLines: [],
    makesProxy: false,
  };
  const lineOf = (n: TsNode) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const literal = (n: TsNode): number | undefined => {
    if (ts.isNumericLiteral(n)) return Number(n.text);
    if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(n.operand)) return -Number(n.operand.text);
    if (ts.isParenthesizedExpression(n)) return literal(n.expression);
    if (ts.isAsExpression(n) || ts.isTypeAssertionExpression(n)) return literal(n.expression);
    return undefined;
  };
  // Simple constants: `const THRESHOLD = 99`, a class field `threshold = 0.99`, `this.threshold = 99` in
  // a constructor. A name set to two different numbers is ambiguous and not followed.
  const constants = new Map<string, { value: number; line: number } | null>();
  const define = (name: string, value: number | undefined, node: TsNode) => {
    if (value === undefined) return;
    const had = constants.get(name);
    constants.set(name, had === undefined || (had && had.value === value) ? { value, line: had?.line ?? lineOf(node) } : null);
  };
  const collect = (node: TsNode) => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      ts.isVariableDeclarationList(node.parent) &&
      node.parent.flags & ts.NodeFlags.Const
    ) {
      define(node.name.text, literal(node.initializer), node);
    } else if (ts.isPropertyDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      define(`.${node.name.text}`, literal(node.initializer), node);
    } else if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name)) {
      define(`.${node.name.text}`, literal(node.initializer), node);
    } else if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left) &&
      node.left.expression.kind === ts.SyntaxKind.ThisKeyword
    ) {
      define(`.${node.left.name.text}`, literal(node.right), node);
    }
    ts.forEachChild(node, collect);
  };
  collect(sf);
  const numberOf = (n: TsNode): number | undefined => literal(n) ?? constantOf(n)?.value;
  const constantOf = (n: TsNode): { name: string; value: number; line: number } | undefined => {
    while (ts.isParenthesizedExpression(n)) n = n.expression;
    const key = ts.isIdentifier(n) ? n.text : ts.isPropertyAccessExpression(n) ? `.${n.name.text}` : undefined;
    const c = key ? constants.get(key) : undefined;
    return c && key ? { name: key.replace(/^\./, ''), ...c } : undefined;
  };
  const hookName = (n: TsNode): string | undefined => {
    const name = (n as { name?: TsNode }).name;
    return name && (ts.isIdentifier(name) || ts.isStringLiteral(name)) && HOOK_NAMES.has(name.text) ? name.text : undefined;
  };
  const usesThis = (n: TsNode): boolean => {
    let found = false;
    const look = (c: TsNode) => {
      if (found) return;
      if (c.kind === ts.SyntaxKind.ThisKeyword) found = true;
      // a nested ordinary function or class has its own `this`
      else if (!ts.isFunctionDeclaration(c) && !ts.isFunctionExpression(c) && !ts.isClassLike(c) && !ts.isMethodDeclaration(c)) ts.forEachChild(c, look);
    };
    ts.forEachChild(n, look);
    return found;
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
          const constant = constantOf(r !== undefined ? node.right : node.left);
          facts.comparisons.push({
            line: lineOf(node),
            text: node.getText(sf).replace(/\s+/g, ' ').slice(0, 120),
            value: (r ?? l)!,
            other: (r !== undefined ? node.left : node.right).getText(sf).replace(/\s+/g, ' ').slice(0, 80),
            // `x < 5` reads as `5 > x` when the number is on the left
            op: r !== undefined ? op : ({ '>': '<', '>=': '<=', '<': '>', '<=': '>=' } as Record<string, string>)[op],
            constant: constant && literal(r !== undefined ? node.right : node.left) === undefined ? { name: constant.name, line: constant.line } : undefined,
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
    if (ts.isReturnStatement(node)) facts.returnLines.push(lineOf(node));
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Proxy') facts.makesProxy = true;
    const hook = hookName(node);
    if (hook && (ts.isMethodDeclaration(node) || ts.isPropertyAssignment(node) || ts.isPropertyDeclaration(node))) {
      const fn = ts.isMethodDeclaration(node)
        ? node
        : node.initializer && (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
          ? node.initializer
          : undefined;
      if (fn) {
        // (a TypeScript `this: T` parameter is a type annotation, not an argument)
        const params = fn.parameters.map((p) => p.name.getText(sf)).filter((name) => name !== 'this');
        if (params[0] === 'self' || params.length > HOOK_ARITY[hook]) facts.pythonHooks.push({ line: lineOf(node), hook, params });
        if (ts.isPropertyAssignment(node) && ts.isArrowFunction(fn) && usesThis(fn.body)) facts.arrowThis.push({ line: lineOf(node), hook });
      }
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'fit') {
      let p: TsNode = node.parent;
      while (p && (ts.isParenthesizedExpression(p) || ts.isAsExpression(p))) p = p.parent;
      const handled =
        ts.isAwaitExpression(p) ||
        ts.isReturnStatement(p) ||
        (ts.isArrowFunction(p) && p.body === node) ||
        (ts.isPropertyAccessExpression(p) && /^(then|catch|finally)$/.test(p.name.text)) ||
        ts.isYieldExpression(p);
      // `const h = model.fit(…)` followed by `await h` is handled too
      const declared = ts.isVariableDeclaration(p) && ts.isIdentifier(p.name) ? p.name.text : undefined;
      // …if the next mention of that name awaits or returns it (not `history.history` first)
      const next = declared !== undefined ? new RegExp(`(\\bawait\\s+|\\breturn\\s+)?\\b${declared}\\b`).exec(sf.text.slice(node.end)) : null;
      const awaitedLater = next !== null && next[1] !== undefined;
      if (!handled && !awaitedLater) facts.unawaitedFits.push({ line: lineOf(node), text: node.getText(sf).replace(/\s+/g, ' ').slice(0, 80) });
    }
    if (ts.isExpressionStatement(node) && ts.isBinaryExpression(node.expression)) {
      const k = node.expression.operatorToken.kind;
      const left = node.expression.left;
      if (
        (k === ts.SyntaxKind.EqualsEqualsToken || k === ts.SyntaxKind.EqualsEqualsEqualsToken) &&
        (ts.isPropertyAccessExpression(left) || ts.isIdentifier(left))
      ) {
        facts.comparedNotAssigned.push({
          line: lineOf(node),
          text: node.expression.getText(sf).replace(/\s+/g, ' ').slice(0, 80),
          name: ts.isPropertyAccessExpression(left) ? left.name.text : left.text,
        });
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
