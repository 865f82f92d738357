import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native inference on 2 shared cores: generous limits, no timing assertions in tests.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'], tsconfig: './test/tsconfig.json' },
  },
});
