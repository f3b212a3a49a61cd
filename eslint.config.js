import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** ESLint settings refusing imports from `folder/` into the layers it must not depend on. */
function layer(folder, forbidden) {
  return {
    files: [`${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((above) => ({
            group: [`**/${above}/**`],
            message: `${folder}/ may not import ${above}/ (see docs/architecture.md, "Layers").`,
          })),
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Use a RandomSource: masks, seeds and noise need a cryptographic or seeded generator.',
        },
      ],
    },
  },
  {
    files: ['aggregation/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['@grpc/grpc-js', 'node:net', 'node:timers', 'node:fs', 'node:http', 'nats'],
          patterns: ['../../coordinator/*', '../../client-sdk/*', '../../simulations/*', '../../proto/*'],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'fetch'],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='Date'][property.name='now']",
          message: 'aggregation/ takes time as an argument.',
        },
      ],
    },
  },
  // Layers: the coordinator and the SDK meet only on the wire, and neither ships the lab; cli/ is the
  // composition root that wires them into the `cohort` command.
  layer('coordinator', ['client-sdk', 'simulations', 'cli', 'bench']),
  layer('client-sdk', ['coordinator', 'simulations', 'cli', 'bench']),
  layer('proto', ['coordinator', 'client-sdk', 'simulations', 'cli', 'bench']),
  layer('simulations', ['cli', 'bench']),
  {
    // node:test's test() and describe() return promises the runner itself awaits.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
