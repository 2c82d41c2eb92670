import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', '*.mts', '.bench-*/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [] }],
    },
  },
  {
    files: ['server/**/service.ts'],
    rules: {
      // style.md: no express import in a service, no knex outside queries and storage/
      'no-restricted-imports': ['error', { paths: ['express', 'knex'] }],
    },
  },
  {
    // Small progressive-enhancement scripts served to the browser.
    files: ['templates/static/**/*.js'],
    languageOptions: { globals: { document: 'readonly', window: 'readonly', navigator: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly', XMLHttpRequest: 'readonly', FormData: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  { files: ['bin/**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } } },
);
