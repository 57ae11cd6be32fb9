// ESLint (flat config): typescript-eslint's recommended rules, Prettier owning the formatting, and the
// layer order of docs (data → engine → lab → report → grader → cli/server/web): a layer imports only
// layers to its left. `npm run lint` runs this and `prettier --check`; CI runs it before the tests.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The layers of src/, left to right; src/util and src/errors.ts sit below them all. */
const LAYERS = ['data', 'engine', 'lab', 'report', 'grader', ['cli', 'server']];

/** An import path (relative, any depth) that reaches into one of `names` (a folder under src/). */
const into = (names) => `^(\\.\\./)+(${names.join('|')})/`;

/** For the files of layer i: the layers to its right are off limits (cli and server: each other's too, but the CLI starts the server). */
function layerRule(i) {
  const own = [LAYERS[i]].flat();
  return own
    .map((name) => {
      const blocked = [...LAYERS.slice(i + 1).flat(), ...(name === 'server' ? ['cli'] : [])];
      return { name, blocked };
    })
    .filter(({ blocked }) => blocked.length > 0)
    .map(({ name, blocked }) => ({
      files: [`src/${name}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: into(blocked),
                message: `layer order data → engine → lab → report → grader → cli/server/web: src/${name} must not import ${blocked.join(', ')} (move the shared code down a layer, or pass it in)`,
              },
            ],
          },
        ],
      },
    }));
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'build/**',
      'web-dist/**',
      'test-artifacts/**',
      'src/engine/backends/wasm/assembly/**',
      'test/grader/corpus/**',
      'assignments/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // `_name` marks a value deliberately unused (destructuring it away, a required callback parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', destructuredArrayIgnorePattern: '^_' },
      ],
      // `let { a, b } = …` where only one is reassigned reads better than two statements.
      'prefer-const': ['error', { destructuring: 'all' }],
      // No import side effects: a module does its set-up when called (e.g. registerNodeBackends()), so
      // importing it for effect is a mistake. Stylesheets are the one exception (web/src/main.ts).
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[specifiers.length=0][source.value!=/\\.css$/][importKind!='type']",
          message: 'import side effects are not used here: import a function and call it (e.g. registerNodeBackends())',
        },
      ],
      // The grader's fit wrapper names `this` as the model it instruments.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['model'] }],
    },
  },
  {
    // Tests read JSON they have just parsed; typing every field would be noise.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...LAYERS.flatMap((_, i) => layerRule(i)),
  {
    files: ['src/util/**/*.ts', 'src/errors.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: into(LAYERS.flat()), message: 'src/util and src/errors.ts sit below every layer: they import none' }] },
      ],
    },
  },
  {
    // The web app (page and Workers) sees src/ through one door, src/browser.ts: what the browser may use
    // is listed there, and a Node-only module cannot slip into the bundle through a deep import.
    files: ['web/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+src/(?!browser\\.js$)',
              message: 'web/ imports src/ only through src/browser.ts (the public browser entry): export what you need from there',
            },
            { regex: '^node:', message: 'web/ runs in the browser: no Node built-ins' },
          ],
        },
      ],
    },
  },
  {
    // The browser entry re-exports the layers a page can run; the grader, CLI, server and Node set-up stay out.
    files: ['src/browser.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\./(grader|cli|server)/|^\\./(index|api|node|node-files)\\.js$|^node:',
              message: 'src/browser.ts is what the web app may use: no grader, CLI, server, Node built-ins or Node set-up',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
