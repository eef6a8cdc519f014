// ESLint flat config: @eslint/js recommended + typescript-eslint's recommended-type-checked set, on every .ts and
// .mjs/.cjs file of the repository (src, test, bench, scripts, esbuild.mjs, media/l10n helpers).
// Formatting is Biome's job (biome.json); nothing here is stylistic, so the two never disagree.
//
// Type information comes from tsconfig.eslint.json (tsconfig.json + the JavaScript files). typescript-eslint needs
// TypeScript's JavaScript API, which TypeScript 7 does not ship: the `typescript` package is the TypeScript 6 API
// (npm:@typescript/typescript6) and `tsc` is TypeScript 7 (npm:typescript, installed as @typescript/native), the
// side-by-side setup TypeScript 7's release notes describe. Drop the alias when typescript-eslint supports TS 7.
//
// Every rule that is off or relaxed below says why. Run `npm run lint`; `scripts/lint-fix.sh` applies the fixers.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** typescript-eslint's "unsafe any" family: flags every use of a value typed `any`. */
const NO_UNSAFE_ANY = [
  '@typescript-eslint/no-unsafe-argument',
  '@typescript-eslint/no-unsafe-assignment',
  '@typescript-eslint/no-unsafe-call',
  '@typescript-eslint/no-unsafe-member-access',
  '@typescript-eslint/no-unsafe-return',
  '@typescript-eslint/no-unsafe-unary-minus',
];
const off = (rules) => Object.fromEntries(rules.map((r) => [r, 'off']));

export default defineConfig(
  globalIgnores([
    'dist/',
    'out/',
    'test/fixtures/', // mail and .env samples (and the script that generates them): data, not code
    '.cache/', // Node 24 + code-server, VS Code downloads (scripts/lib/codeServer.mjs)
    '.tmp/',
    '.vscode-test/',
    'bench/screens/',
    'demo-screens/',
  ]),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.{ts,mts,cts,js,mjs,cjs}'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      ecmaVersion: 2022,
      globals: { ...globals.node },
      parserOptions: {
        project: './tsconfig.eslint.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The three promise/import rules issue 12 asks for, set the way the code already works:
      // `void promise` marks a deliberate fire-and-forget (the extension does it for UI calls it does not wait on).
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          ignoreVoid: true,
          // node:test's test()/describe()/it() return a promise the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // `import type { A }` for an all-type import (93 places today); a mixed import keeps its inline `type B`
      // specifiers, which this setting accepts as they are.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],

      // An underscore marks a parameter kept for its position or an interface (`_opts`), or a property taken out
      // of a rest copy (`const { token: _t, ...rest }`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Off: `async` without `await` is how the code returns a promise from a stub or an adapter that implements a
      // Promise-returning interface (test doubles, CliIO.readStdin, ImapServer.kill) and turns a throw into a
      // rejection; the rule would ask for `Promise.resolve(...)` wrappers that say less.
      '@typescript-eslint/require-await': 'off',
      // Relaxed: forwarding a rejection reason as received (`(e) => reject(e)`, e typed any/unknown) is fine;
      // rejecting with a literal non-Error value is still an error.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
    },
  },
  {
    // JavaScript (scripts, esbuild.mjs, bench's .cjs stand-ins). tsconfig.eslint.json has checkJs off, so every
    // value from an untyped import is `any`: the "unsafe any" rules would flag each use. The promise rules stay on.
    files: ['**/*.{js,mjs,cjs}'],
    rules: off(NO_UNSAFE_ANY),
  },
  {
    // CommonJS files load with require() by definition (bench/activation/*.cjs run in a plain Node child). The
    // bin/*.js launchers are CommonJS too (package.json has no "type": "module"): npm links them as they are.
    files: ['**/*.cjs', 'bin/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...globals.commonjs } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests read the CLI's --json output and package.json with JSON.parse (`any`) and assert on fields; a type
    // for each would add casts and catch nothing that the assertion itself does not.
    files: ['test/**/*.ts'],
    rules: off(NO_UNSAFE_ANY),
  },
);
