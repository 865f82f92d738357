/** `lwganet setup [--cuda [flavour]]`: the Python venv with torch, and an addon that loads with it. */

import type { Command } from 'commander';
import { setup } from '../../setup/setup.js';
import { DEFAULT_CUDA, TORCH_VERSION } from '../../setup/torch-pin.js';
import type { CliIO } from '../io.js';

interface SetupFlags {
  cuda?: boolean | string;
  python?: string;
  force?: boolean;
  json?: boolean;
}

export function registerSetup(program: Command, io: CliIO): void {
  program
    .command('setup')
    .description(`install what the package needs in ~/.cache/lwganet-node: a Python venv with torch ${TORCH_VERSION} (CPU; the exporter and the LibTorch the addon loads), and the addon built from source if no prebuild fits`)
    .option('--cuda [flavour]', `a CUDA torch from PyTorch's index for that flavour (default ${DEFAULT_CUDA})`)
    .option('--python <path>', 'the Python (>= 3.10) to create the venv with (default: python3 on PATH)')
    .option('--force', 'recreate the venv even if it is complete')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText('after', '\nThe pip index is PyTorch\'s (https://download.pytorch.org/whl/cpu, or /<flavour> with --cuda) unless\nyour pip configuration sets index-url (a mirror); pip.conf settings such as find-links and proxies apply.')
    .action(async (flags: SetupFlags) => {
      const result = await setup({ cuda: flags.cuda, python: flags.python, force: flags.force, env: io.env, log: (line) => io.err(`${line}\n`) });
      if (flags.json) {
        io.out(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      io.out(`ready: torch ${result.torch} in ${result.venv}; addon ${result.addon.file}${result.addon.builtNow ? ' (built now)' : ''}\n`);
    });
}
