/**
 * What the sandboxed child runs, prepared by the parent as plain JavaScript in a read-only folder:
 *
 *   <runtime>/package.json            {"type": "module"}
 *   <runtime>/src/…                   the harness and everything it imports (engine, errors, util…),
 *                                     transpiled from src/*.ts (or copied from dist/*.js), same layout
 *   <runtime>/src/grader/normlab.js   the `normlab` module a submission imports (the instrumented API)
 *   <runtime>/build/*.wasm            compiled kernels, where the engine's relative paths expect them
 *
 * The child needs no TypeScript loader, no node_modules and no access to the repository. Submissions
 * are compiled here too (TypeScript's transpileModule, types are not checked): syntax errors become a
 * verdict with line and column, and `import … from 'normlab'` is rewritten to the file above.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NormlabError } from '../errors.js';

type TS = typeof import('typescript');
let tsModule: TS | undefined;
async function typescript(): Promise<TS> {
  if (!tsModule) {
    try {
      tsModule = (await import('typescript')).default as TS;
    } catch {
      throw new NormlabError('setup', 'the grader needs the `typescript` package to compile submissions', 'run `npm install` in the normlab checkout');
    }
  }
  return tsModule;
}

export interface Runtime {
  /** Root folder (read-only for the child). */
  dir: string;
  /** Absolute path of the harness entry. */
  harness: string;
  /** file URL of the public `normlab` module. */
  publicUrl: string;
  /** file URL of the module whose `guardedSpecifier` every dynamic import in a submission goes through. */
  guardUrl: string;
  /** Number of modules mirrored. */
  modules: number;
  /** 'source' (transpiled from src/*.ts) or 'dist' (copied from the compiled build). */
  mode: 'source' | 'dist';
  /** The package root the mirror was made from. */
  packageRoot: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** src/ (under tsx) or dist/ (compiled). */
export const moduleRoot = dirname(here);
/** The normlab checkout / package. */
export const packageRoot = dirname(moduleRoot);
const sourceMode = import.meta.url.endsWith('.ts');

/** Builds the runtime folder for the child. `exportNames`: the names the public `normlab` module has. */
export async function buildRuntime(dir: string, exportNames: string[]): Promise<Runtime> {
  // TypeScript is needed either way: to transpile the sources (under tsx) and to read import lists
  // reliably (a regex would also match imports quoted in doc comments).
  const ts = await typescript();
  const ext = sourceMode ? '.ts' : '.js';
  const entry = join(moduleRoot, 'grader', `harness${ext}`);
  const queue = [entry];
  const seen = new Set<string>();
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n', { mode: 0o644 });
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const js = sourceMode
      ? ts.transpileModule(source, {
          fileName: file,
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, useDefineForClassFields: true, isolatedModules: true },
        }).outputText
      : source;
    const out = join(dir, 'src', relative(moduleRoot, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true, mode: 0o755 });
    writeFileSync(out, js, { mode: 0o644 });
    for (const spec of importsOf(js, ts)) {
      if (isBuiltin(spec)) continue;
      if (!spec.startsWith('.')) {
        copyPackage(spec, file, dir);
        continue;
      }
      let target = resolve(dirname(file), spec);
      if (sourceMode && target.endsWith('.js') && existsSync(target.replace(/\.js$/, '.ts'))) target = target.replace(/\.js$/, '.ts');
      if (!existsSync(target)) throw new NormlabError('setup', `cannot find ${spec} imported by ${relative(packageRoot, file)}`);
      queue.push(target);
    }
  }
  // Assets the engine reads relative to its own files (build/normlab.wasm).
  const build = join(packageRoot, 'build');
  if (existsSync(build)) {
    mkdirSync(join(dir, 'build'), { recursive: true, mode: 0o755 });
    for (const name of readdirSync(build)) if (name.endsWith('.wasm')) copyFileSync(join(build, name), join(dir, 'build', name));
  }
  const publicFile = join(dir, 'src', 'grader', 'normlab.js');
  const names = exportNames.filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
  writeFileSync(
    publicFile,
    [
      '// The `normlab` module while grading: the instrumented engine installed by the harness.',
      "import { installedApi } from './instrument.js';",
      'const api = installedApi();',
      ...names.map((n) => `export const ${n} = api.${n};`),
      'export default api;',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  return {
    dir,
    harness: join(dir, 'src', 'grader', 'harness.js'),
    publicUrl: pathToFileURL(publicFile).href,
    guardUrl: pathToFileURL(join(dir, 'src', 'grader', 'guards.js')).href,
    modules: seen.size,
    mode: sourceMode ? 'source' : 'dist',
    packageRoot,
  };
}

/**
 * A runtime dependency of the engine (e.g. zod, which parses model.json) goes into <runtime>/node_modules,
 * where Node's resolution from <runtime>/src finds it: only its JavaScript and package.json files, and
 * only packages package.json lists as dependencies (never a dev tool). Submissions cannot import it: their
 * bare imports other than the engine resolve from their own folder, which has no node_modules.
 */
function copyPackage(spec: string, importer: string, runtimeDir: string): void {
  const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
  const target = join(runtimeDir, 'node_modules', name);
  if (existsSync(target)) return;
  const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const from = join(packageRoot, 'node_modules', name);
  if (!manifest.dependencies?.[name] || !existsSync(join(from, 'package.json'))) {
    throw new NormlabError(
      'setup',
      `the grader's sandbox runtime cannot include the package '${spec}' (imported by ${relative(packageRoot, importer)})`,
      'the engine may import only packages listed under "dependencies" in package.json, installed with npm install',
    );
  }
  const copy = (src: string, dest: string, top: boolean) => {
    mkdirSync(dest, { recursive: true, mode: 0o755 });
    for (const entry of readdirSync(src, { withFileTypes: true })) {
      const s = join(src, entry.name);
      const d = join(dest, entry.name);
      // (TypeScript sources and declarations are not needed to run; links are not followed)
      if (entry.isDirectory() && !(top && entry.name === 'src') && entry.name !== 'node_modules') copy(s, d, false);
      else if (entry.isFile() && /\.(js|mjs|cjs|json)$/.test(entry.name)) copyFileSync(s, d);
    }
  };
  copy(from, target, true);
}

function importsOf(js: string, ts: TS): string[] {
  return ts.preProcessFile(js, true, true).importedFiles.map((f) => f.fileName);
}

export interface Diagnostic {
  line: number;
  column: number;
  message: string;
  /** The source line, for showing the learner. */
  text: string;
}

export type Compiled =
  | {
      ok: true;
      js: string;
      notes: string[];
      sourceFile: import('typescript').SourceFile;
      /** Static imports that would run code built from a string or fetched (data:, blob:, http:), with line. */
      refused: { line: number; specifier: string }[];
    }
  | { ok: false; diagnostics: Diagnostic[] };

/** Module URLs whose code is a string in the URL itself or comes from the network. */
const CODE_URL = /^\s*(data|blob|javascript|https?|ftp):/i;

/** Module names a submission may use for the engine (tfjs names are mapped too: the API is the same). */
const ENGINE_NAMES = new Set(['normlab', '@tensorflow/tfjs', '@tensorflow/tfjs-node', '@tensorflow/tfjs-layers']);

/**
 * TypeScript or JavaScript → an ES module whose engine import points at `publicUrl`. Only syntax is
 * checked; imports other than the engine and Node's built-ins are reported (they cannot load in the
 * sandbox).
 */
export async function compileSubmission(source: string, fileName: string, publicUrl: string, guardUrl?: string): Promise<Compiled> {
  const ts = await typescript();
  const notes: string[] = [];
  const refused: { line: number; specifier: string }[] = [];
  const GUARD = '__normlab_guardedSpecifier';
  let guarded = false;
  const name = basename(fileName);
  const isTs = /\.(m|c)?tsx?$/.test(name);
  const rewrite: import('typescript').TransformerFactory<import('typescript').SourceFile> = (ctx) => (sf) => {
    const f = ctx.factory;
    const map = (lit: import('typescript').Expression | undefined) => {
      if (!lit || !ts.isStringLiteral(lit)) return undefined;
      if (CODE_URL.test(lit.text)) return undefined;
      if (ENGINE_NAMES.has(lit.text)) {
        if (lit.text !== 'normlab') notes.push(`imports '${lit.text}': the grader runs it on normlab's engine, which has the same API`);
        return f.createStringLiteral(publicUrl);
      }
      if (!isBuiltin(lit.text) && !notes.some((n) => n.includes(`'${lit.text}'`))) {
        notes.push(`imports '${lit.text}', which is not available in the sandbox (only 'normlab' and Node's built-in modules are)`);
      }
      return undefined;
    };
    const visit = (node: import('typescript').Node): import('typescript').Node => {
      if (ts.isImportDeclaration(node)) {
        const s = map(node.moduleSpecifier);
        if (s) return f.updateImportDeclaration(node, node.modifiers, node.importClause, s, node.attributes);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
        const s = map(node.moduleSpecifier);
        if (s) return f.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, s, node.attributes);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length >= 1) {
        const arg = node.arguments[0];
        const literal = ts.isStringLiteral(arg) ? arg.text : undefined;
        const s = literal !== undefined ? map(arg) : undefined;
        if (s) return f.updateCallExpression(node, node.expression, node.typeArguments, [s, ...node.arguments.slice(1)]);
        if (guardUrl && !(literal !== undefined && isBuiltin(literal))) {
          // Any other dynamic import is decided at run time by the harness (data:/blob: URLs are code from
          // a string; a file written to the working folder and imported back would be too).
          guarded = true;
          const inner = ts.visitNode(arg, visit) as import('typescript').Expression;
          return f.updateCallExpression(node, node.expression, node.typeArguments, [
            f.createCallExpression(f.createIdentifier(GUARD), undefined, [inner]),
            ...node.arguments.slice(1),
          ]);
        }
      }
      return ts.visitEachChild(node, visit, ctx);
    };
    const out = ts.visitNode(sf, visit) as import('typescript').SourceFile;
    if (!guarded || !guardUrl) return out;
    const importGuard = f.createImportDeclaration(
      undefined,
      f.createImportClause(
        false,
        undefined,
        f.createNamedImports([f.createImportSpecifier(false, f.createIdentifier('guardedSpecifier'), f.createIdentifier(GUARD))]),
      ),
      f.createStringLiteral(guardUrl),
    );
    return f.updateSourceFile(out, [importGuard, ...out.statements]);
  };
  const out = ts.transpileModule(source, {
    fileName: isTs ? name : name.replace(/\.(c|m)?jsx?$/, '.js'),
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      useDefineForClassFields: true,
      isolatedModules: true,
      allowJs: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
    transformers: { after: [rewrite] },
  });
  const sourceFile = ts.createSourceFile(name, source, ts.ScriptTarget.ES2022, true, isTs ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  const findCodeUrls = (node: import('typescript').Node): void => {
    const spec =
      ts.isImportDeclaration(node) || ts.isExportDeclaration(node)
        ? node.moduleSpecifier
        : ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword
          ? node.arguments[0]
          : undefined;
    if (spec && ts.isStringLiteral(spec) && CODE_URL.test(spec.text)) {
      refused.push({ line: sourceFile.getLineAndCharacterOfPosition(spec.getStart(sourceFile)).line + 1, specifier: spec.text.slice(0, 60) });
    }
    ts.forEachChild(node, findCodeUrls);
  };
  findCodeUrls(sourceFile);
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const lines = source.split('\n');
    return {
      ok: false,
      diagnostics: errors.slice(0, 5).map((d) => {
        const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
        return {
          line: pos.line + 1,
          column: pos.character + 1,
          message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
          text: (lines[pos.line] ?? '').trimEnd(),
        };
      }),
    };
  }
  if (!/\bexport\b/.test(out.outputText) && /\b(module\.exports|exports\.\w+|require\s*\()/.test(source)) {
    notes.push('looks like a CommonJS module (require / module.exports): write an ES module (import … from "normlab"; export async function trainMnist …)');
  }
  return { ok: true, js: out.outputText, notes, sourceFile, refused };
}
