/**
 * `lwganet bench ...`: runs the runtime comparison (bench/compare.mjs) with every argument passed
 * through. The suite compares against onnxruntime-node (a devDependency) and the C++ ceiling built
 * with the addon, so it lives in the source checkout, not in the installed package: main.ts only
 * registers the command where the suite exists.
 */

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { PACKAGE_ROOT } from '../../package-root.js';
import { CliError } from '../cli-error.js';
import type { CliIO } from '../io.js';

export const BENCH_SCRIPT = join(PACKAGE_ROOT, 'bench', 'compare.mjs');

export function registerBench(program: Command, io: CliIO): void {
  program
    .command('bench')
    .description('compare lwganet-node with the C++ ceiling, Python TorchScript and onnxruntime-node (source checkout; "lwganet bench --help")')
    .argument('[args...]', 'arguments for bench/compare.mjs: [--quick] [--cases all|ID,...] [--runtimes ...] [--rounds N] ...')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[]) => {
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [BENCH_SCRIPT, ...args], { stdio: 'inherit', env: io.env });
        child.on('error', reject);
        child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
      });
      if (code !== 0) throw new CliError(`bench failed (bench/compare.mjs exited with code ${code})`, code);
    });
}
