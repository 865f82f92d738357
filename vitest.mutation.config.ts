// Vitest configuration for mutation testing (scripts/mutation.mjs): the project's config,
// restricted to the test files of one module group (comma-separated in LWGANET_MUTATION_TESTS)
// and without the type-check pass, which no mutant can change.
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig, mergeConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import base from './vitest.config';

const files = (process.env.LWGANET_MUTATION_TESTS ?? '').split(',').filter(Boolean);
if (files.length === 0) throw new Error('vitest.mutation.config.ts needs LWGANET_MUTATION_TESTS (run it through npm run test:mutation)');

// Stryker's vitest runner asks for the threads pool (one worker thread per test file), but
// gdal-async's addon registers itself only in the first thread of a process that loads it: every
// later thread fails with "Module did not self-register". So each test file runs in its own
// process (the forks pool, as in `npm test`). The runner's choice overrides the config file's,
// so this plugin sets the pool on Vitest's final options, after Vitest's own plugin made them.
const forksPool: Plugin = {
  name: 'lwganet:mutation-forks-pool',
  enforce: 'post',
  configResolved(config) {
    const options = (config as unknown as { _vitest?: { pool?: string } })._vitest;
    if (options) options.pool = 'forks';
  },
};

// Files run in the order the group lists them (quick in-process checks first): Stryker stops a
// mutant's run at its first failing test, and Vitest's own order puts the slowest files first.
class ListedOrder extends BaseSequencer {
  override async sort(specs: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => files.findIndex((file) => spec.moduleId.endsWith(file.replace(/^\.\//, '')));
    return [...specs].sort((a, b) => rank(a) - rank(b));
  }
}

// Stryker's vitest runner runs tests in worker threads, where geotiff.js's `web-worker` import
// throws; geotiff is bundled by Vite here so that import can be pointed at a stand-in.
const config = mergeConfig(base, defineConfig({
  plugins: [forksPool],
  resolve: { alias: { 'web-worker': resolve(__dirname, 'test/helpers/no-web-worker.ts') } },
  test: { typecheck: { enabled: false }, server: { deps: { inline: ['geotiff'] } }, sequence: { sequencer: ListedOrder } },
}));
config.test!.include = files; // replaced, not merged (mergeConfig would append to the base list)
export default config;
