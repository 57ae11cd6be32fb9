/**
 * TypeScript's type errors for a .ts submission, reported to the learner next to the verdict. They never
 * block the run (like tsx, the grader runs code that type-checks badly), because a strict type error is
 * often not what breaks the assignment; but when the run fails, the type error is frequently why.
 *
 * The engine's own declarations answer `import … from 'normlab'` (src/index.ts from a checkout, or
 * dist/index.d.ts from an installed package); checking is loose (not strict), and parsed library files
 * are cached across submissions, so each file costs a fraction of a second after the first.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CompilerHost, CompilerOptions, Program, SourceFile } from 'typescript';
import { moduleRoot, packageRoot } from './runtime.js';

export interface TypeError_ {
  line: number;
  column: number;
  message: string;
}

type TS = typeof import('typescript');

/** Diagnostics that say more about the sandbox than about the learner's code. */
const IGNORED = new Set([
  2307, // Cannot find module (only 'normlab' and node: built-ins exist; the run reports the rest)
  1375, // top-level await needs module settings
  1378,
  2792,
]);

export class TypeChecker {
  private readonly cache = new Map<string, SourceFile>();
  private previous?: Program;
  private constructor(
    private readonly ts: TS,
    private readonly options: CompilerOptions,
    private readonly engineEntry: string,
  ) {}

  static async create(): Promise<TypeChecker | undefined> {
    let ts: TS;
    try {
      ts = (await import('typescript')).default as TS;
    } catch {
      return undefined;
    }
    const fromSource = join(moduleRoot, 'index.ts');
    const fromDist = join(packageRoot, 'dist', 'index.d.ts');
    const engineEntry = existsSync(fromSource) ? fromSource : existsSync(fromDist) ? fromDist : undefined;
    if (!engineEntry) return undefined;
    const typeRoots = [join(packageRoot, 'node_modules', '@types')].filter(existsSync);
    const options: CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      types: typeRoots.length && existsSync(join(typeRoots[0], 'node')) ? ['node'] : [],
      typeRoots,
      strict: false,
      noEmit: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      isolatedModules: true,
      esModuleInterop: true,
    };
    return new TypeChecker(ts, options, engineEntry);
  }

  check(source: string, fileName: string): TypeError_[] {
    const ts = this.ts;
    const name = `/__submission__/${fileName.replace(/[^\w.-]/g, '_').replace(/\.(m|c)?js$/, '.ts')}`;
    const base = ts.createCompilerHost(this.options, true);
    const host: CompilerHost = {
      ...base,
      getSourceFile: (file, languageVersion, onError) => {
        if (file === name) return ts.createSourceFile(file, source, languageVersion, true);
        const cached = this.cache.get(file);
        if (cached) return cached;
        const sf = base.getSourceFile(file, languageVersion, onError);
        if (sf) this.cache.set(file, sf);
        return sf;
      },
      fileExists: (file) => file === name || base.fileExists(file),
      readFile: (file) => (file === name ? source : base.readFile(file)),
      resolveModuleNameLiterals: (literals, containingFile, redirected, options) =>
        literals.map((lit) => {
          const text = lit.text;
          if (text === 'normlab' || text.startsWith('@tensorflow/tfjs')) {
            return {
              resolvedModule: {
                resolvedFileName: this.engineEntry,
                extension: this.engineEntry.endsWith('.d.ts') ? ts.Extension.Dts : ts.Extension.Ts,
                isExternalLibraryImport: false,
              },
            };
          }
          return ts.resolveModuleName(text, containingFile, options, base, undefined, redirected);
        }),
    };
    const program = ts.createProgram({ rootNames: [name], options: this.options, host, oldProgram: this.previous });
    this.previous = program;
    const sf = program.getSourceFile(name)!;
    return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]
      .filter((d) => d.category === ts.DiagnosticCategory.Error && !IGNORED.has(d.code))
      .slice(0, 5)
      .map((d) => {
        const pos = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
        return { line: pos.line + 1, column: pos.character + 1, message: ts.flattenDiagnosticMessageText(d.messageText, ' ') };
      });
  }
}
