// ESLint flat config: typescript-eslint's recommended rules plus the type-aware rules that catch
// real bugs here (a promise nobody awaits, an async callback whose rejection nobody sees).
// Layout is Prettier's job (.prettierrc.json); the one layout rule kept here is the line length,
// which Prettier cannot enforce on strings, templates and comments.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const browserGlobals = Object.fromEntries(
  ['document', 'window', 'location', 'sessionStorage', 'setTimeout', 'clearTimeout', 'fetch', 'URL', 'console'].map((name) => [
    name,
    'readonly',
  ]),
);
const nodeGlobals = Object.fromEntries(['process', 'console', 'URL', 'fetch', 'setTimeout'].map((name) => [name, 'readonly']));

export default tseslint.config(
  { ignores: ['node_modules/', 'coverage/', 'data/', '.ci/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Kysely's migrations run on Kysely<any>: the schema they build is not a type yet.
    files: ['src/db/migrate.ts', 'migrations/**/*.ts', 'test/integration/foundation/database.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Tests read Microsoft's and our own JSON payloads to check their shape; typing each probe
    // would restate the schema the test is checking.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  { files: ['src/web/static/**/*.js'], languageOptions: { globals: browserGlobals } },
  { files: ['bin/**/*.js', '*.js'], languageOptions: { globals: nodeGlobals } },
  {
    rules: { 'max-len': ['error', { code: 140, ignoreUrls: true }] },
  },
);
