import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'assets/**',
      'dist/**',
      '.data/**',
      'coverage/**',
      'bin/**',
      'jest.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Layering: the domain never imports the HTTP edge; workers never import server/http.
    files: ['server/**/*.ts', 'workers/**/*.ts'],
    ignores: ['server/http/**', 'server/runtime/**', 'server/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['express', '**/http/*', '**/http'],
              message: 'Domain code and workers never import the HTTP edge.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['app/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/server/**', '**/workers/**'], message: 'The app never imports server or workers.' },
          ],
        },
      ],
    },
  },
  prettier,
);
