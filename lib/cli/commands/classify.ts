/** `lwganet classify IMAGE... --model FILE [--top-k K] [--json]`: scene classification. */

import type { Command } from 'commander';
import { classify, type Prediction } from '../../tasks/classification.js';
import type { CliIO } from '../io.js';
import { positiveInteger } from '../options.js';
import { startProgress } from '../progress.js';
import { addApiFlags, asUsageError } from '../flags.js';
import { FLAG_ROWS, decodeOptions } from './dense-common.js';
import { weightsNote } from '../weights-note.js';
import { loadModelForCli } from './load-model.js';

interface ClassifyFlags {
  model: string;
  topK: number;
  json?: boolean;
  batchSize: number;
  valueRange?: [number, number];
  bands?: [number, number, number];
  device?: string;
  threads?: number;
  progress: boolean;
}

function formatText(images: string[], results: Prediction[][]): string {
  const width = Math.max(5, ...results.flat().map((p) => p.label.length));
  return images.map((image, i) => {
    const lines = results[i].map((p, rank) => `  ${String(rank + 1).padStart(2)}. ${p.label.padEnd(width)}  ${p.score.toFixed(4)}  (class ${p.index})`);
    return `${image}\n${lines.join('\n')}\n`;
  }).join('');
}

async function run(images: string[], flags: ClassifyFlags, io: CliIO): Promise<void> {
  const model = await loadModelForCli(flags.model, flags);
  try {
    const progress = startProgress(io.progressStream, images.length, 'images', flags.progress);
    let results: Prediction[][];
    try {
      results = await classify(images, { model, topK: flags.topK, batchSize: flags.batchSize, decode: decodeOptions(flags), onProgress: (done) => progress.update(done) });
    } catch (error) {
      throw asUsageError(error);
    } finally {
      progress.stop();
    }
    const note = weightsNote(model.metadata);
    if (note) io.err(`${note}\n`);
    if (flags.json) {
      const m = model.metadata;
      const report = {
        model: { file: flags.model, name: m?.model ?? null, variant: m?.variant ?? null, labelSet: m?.labelSet ?? null, device: model.device, weights: m?.weights ?? null },
        results: images.map((image, i) => ({ image, predictions: results[i] })),
      };
      io.out(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      io.out(formatText(images, results));
    }
  } finally {
    model.dispose();
  }
}

export function registerClassify(program: Command, io: CliIO): void {
  const command = program
    .command('classify')
    .description('classify scene images with a classification model')
    .argument('<images...>', 'image files (JPEG, PNG, WebP, TIFF, GeoTIFF)')
    .requiredOption('-m, --model <file>', 'TorchScript model exported by "lwganet export"');
  addApiFlags(command, [
    { api: 'topK', short: '-k', aliases: ['--top'], value: '<k>', description: 'classes to show per image', parse: positiveInteger, default: 5 },
    FLAG_ROWS.batchSize('images', 16), FLAG_ROWS.valueRange, FLAG_ROWS.bands, FLAG_ROWS.device, FLAG_ROWS.threads,
  ]);
  command
    .option('--json', 'print JSON on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .action((images: string[], flags: ClassifyFlags) => run(images, flags, io));
}
