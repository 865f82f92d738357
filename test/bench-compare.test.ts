/**
 * `lwganet bench` hands its arguments to bench/compare.mjs and reports its failure. Only the
 * argument handling is exercised here (it fails before any export or timing): the suite itself is
 * run by hand (`npm run bench:compare -- --quick`), never for its numbers in tests.
 */

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli, runCli } from './helpers/cli-run.js';
import { ROOT } from './helpers/image-python.js';

beforeAll(requireBuiltCli);

function runScript(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bench', 'compare.mjs'), ...args], { cwd: ROOT }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr });
    });
  });
}

describe('lwganet bench', () => {
  it('lists the cases in its help', async () => {
    const help = await runCli(['bench', '--help']);
    expect(help.code, help.stderr).toBe(0);
    for (const id of ['l0-224-b1', 'l2-224-b16', 'l2-features-1024-b1', '--quick']) expect(help.stdout).toContain(id);
  });

  it('passes arguments through and a failing run becomes a CLI failure with the reason', async () => {
    const bad = await runCli(['bench', '--cases', 'l0-224-b1,l9-224-b1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown case l9-224-b1; cases: all, l0-224-b1');
    expect(bad.stderr).toContain('bench failed (bench/compare.mjs exited with code 1)');
  });
});

describe('bench/compare.mjs arguments', () => {
  it.each([
    [['--runtimes', 'ort,python'], '--runtimes must include lwganet'],
    [['--runtimes', 'lwganet,tensorflow'], "name only lwganet, pt2, ceiling, debian-ceiling, python, ort; got 'lwganet,tensorflow'"],
    [['--rounds', '0'], "--rounds needs an integer >= 1, got '0'"],
    [['--threads', 'two'], "--threads needs an integer >= 1, got 'two'"],
    [['--omp-wait-policy', 'spin'], "--omp-wait-policy must be default, passive or active, not 'spin'"],
    [['--no-such-flag'], "Unknown option '--no-such-flag'"],
  ])('%j is refused before anything runs', async (args, message) => {
    const run = await runScript(args);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
  });
});
