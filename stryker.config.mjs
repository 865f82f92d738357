// StrykerJS base configuration for `npm run test:mutation` (scripts/mutation.mjs), which runs
// one module group at a time with its own `mutate` and `testFiles` (see MUTATION_GROUPS there).
// Slow on 2 shared cores, so it is not part of `npm test`/CI.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  concurrency: 1,
  // A mutant's time limit is its tests' time in the initial run × timeoutFactor + timeoutMS: the
  // factor absorbs a slow machine, and every mutant that loops forever (clipping, tiling and NMS
  // loops have several) costs timeoutMS, so it stays short.
  timeoutMS: 15_000,
  timeoutFactor: 2,
  disableTypeChecks: 'lib/**/*.ts',
  // Not needed by the tests (or symlinked: .venv is reached through $LWGANET_TEST_PYTHON). dist/ stays:
  // the CLI tests run it (they cover no mutant, the CLI runs in a child process).
  ignorePatterns: ['/.venv', '/prebuilds', '/bench/results', '/out', '/python/tests'],
  reporters: ['clear-text', 'json', 'progress'],
  incremental: true,
  cleanTempDir: 'always',
};
