/**
 * `lwganet pretrained l0|l1|l2 --out FILE [--format pt|pt2]`: the official ImageNet-1k checkpoint,
 * downloaded (sha256-checked when the hash is known, cached), verified and exported with its
 * ImageNet labels to TorchScript, or compiled to a .pt2 package (224², batch 1), copied to FILE:
 * a model `lwganet classify` and loadModel() take as is.
 */

import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Argument, Option, type Command } from 'commander';
import type { ModelFileFormat } from '../../weights/cache.js';
import { WEIGHTS_VARIANTS, type WeightsVariant } from '../../weights/variants.js';
import type { CliIO } from '../io.js';
import { httpUrl, sha256Hex } from '../options.js';
import { type CliFetchFlags, fetchWeightsForCli } from './fetch-weights.js';

interface PretrainedFlags extends CliFetchFlags {
  out: string;
  format: ModelFileFormat;
}

async function pretrained(variant: WeightsVariant, flags: PretrainedFlags, io: CliIO): Promise<void> {
  if (flags.format === 'pt2') {
    io.err("the .pt2 package is compiled for this machine's CPU and torch once the checkpoint is verified (about a minute on 2 cores)\n");
  }
  const result = await fetchWeightsForCli(variant, flags, io, flags.format);
  io.err(result.cached ? `using the cached model ${result.model}\n` : `downloaded ${result.url} (sha256 ${result.sha256}) and exported it\n`);
  const out = resolve(flags.out);
  await mkdir(dirname(out), { recursive: true });
  await copyFile(result.model, out);
  io.out(`${out}\n`);
}

export function registerPretrained(program: Command, io: CliIO): void {
  program
    .command('pretrained')
    .description('download the official ImageNet-1k weights of LWGANet L0/L1/L2 and export them with their labels to a model file')
    .addArgument(new Argument('<variant>', 'model size').choices(WEIGHTS_VARIANTS))
    .requiredOption('--out <file>', 'where to write the model')
    .addOption(
      new Option('--format <format>', 'pt: TorchScript; pt2: a package compiled for this CPU and torch (224², batch 1), the fastest to run, ~1 min to compile')
        .choices(['pt', 'pt2'])
        .default('pt'),
    )
    .option('--from <url>', 'download the checkpoint from this URL (a mirror) instead of the official GitHub release', httpUrl)
    .option('--sha256 <hex>', 'expected sha256 of the checkpoint', sha256Hex)
    .option('--force', 'download and export again even if cached')
    .option('--cache-dir <dir>', 'cache directory (default ~/.cache/lwganet-node)')
    .option('--no-progress', 'no progress bar on stderr')
    .action((variant: WeightsVariant, flags: PretrainedFlags) => pretrained(variant, flags, io));
}
