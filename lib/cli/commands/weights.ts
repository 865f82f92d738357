/** `lwganet weights fetch l0|l1|l2 [--from URL]`: official ImageNet-1k weights into the cache. */

import { Argument, type Command } from 'commander';
import { WEIGHTS_VARIANTS, type WeightsVariant } from '../../weights/variants.js';
import type { CliIO } from '../io.js';
import { httpUrl, sha256Hex } from '../options.js';
import { type CliFetchFlags, fetchWeightsForCli } from './fetch-weights.js';

interface FetchFlags extends CliFetchFlags {
  json?: boolean;
}

async function fetch(variant: WeightsVariant, flags: FetchFlags, io: CliIO): Promise<void> {
  const result = await fetchWeightsForCli(variant, flags, io);
  if (flags.json) {
    io.out(`${JSON.stringify({ variant, ...result }, null, 2)}\n`);
    return;
  }
  if (result.cached) io.err(`already cached (use --force to fetch again)\n`);
  else io.err(`downloaded ${result.url}\nsha256 ${result.sha256}\n`);
  io.out(`${result.model}\n`);
}

export function registerWeights(program: Command, io: CliIO): void {
  const weights = program.command('weights').description('manage official pretrained weights');
  weights
    .command('fetch')
    .description('download, verify and convert the official ImageNet-1k checkpoint; prints the model path')
    .addArgument(new Argument('<variant>', 'model size').choices(WEIGHTS_VARIANTS))
    .option('--from <url>', 'download from this URL instead of the official GitHub release', httpUrl)
    .option('--sha256 <hex>', 'expected sha256 of the checkpoint', sha256Hex)
    .option('--force', 'download and convert again even if cached')
    .option('--cache-dir <dir>', 'cache directory (default $LWGANET_CACHE or ~/.cache/lwganet-node)')
    .option('--json', 'print JSON on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .action((variant: WeightsVariant, flags: FetchFlags) => fetch(variant, flags, io));
}
