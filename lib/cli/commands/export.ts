/**
 * `lwganet export ...`: hands every argument to the Python exporter (`python -m lwganet export`),
 * which owns the models and TorchScript export; its output streams straight to the terminal.
 */

import type { Command } from 'commander';
import { checkPython, runPython } from '../../weights/python.js';
import { CliError } from '../cli-error.js';
import type { CliIO } from '../io.js';

export function registerExport(program: Command, io: CliIO): void {
  program
    .command('export')
    .description('export a model (TorchScript, --format pt2 compiled package, --format onnx) with the Python exporter (see "lwganet export --help")')
    .argument('[args...]', 'arguments for python -m lwganet export: MODEL --out FILE [--weights CKPT] [--labels NAME] [--seed N] ...')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[]) => {
      await checkPython(io.env);
      const run = await runPython(['-m', 'lwganet', 'export', ...args], { stdio: 'inherit', env: io.env });
      if (run.code !== 0) throw new CliError(`export failed (python -m lwganet export exited with code ${run.code})`, run.code);
    });
}
