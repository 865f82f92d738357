/** `lwganet classify IMAGE... --model FILE [--top K] [--json]`: scene classification. */

import { bandList, BANDS_HELP, decodeOptions, valueRange, VALUE_RANGE_HELP } from './dense-common.js';
import type { Command } from 'commander';
import { classify, type Prediction } from '../../tasks/classification.js';
import type { CliIO } from '../io.js';
import { positiveInteger } from '../options.js';
import { startProgress } from '../progress.js';
import { weightsNote } from '../weights-note.js';
import { loadModelForCli } from './load-model.js';

interface ClassifyFlags {
  valueRange?: [number, number];
  bands?: [number, number, number];
  model: string;
  top: number;
  json?: boolean;
  batchSize: number;
  device?: string;
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
  const model = await loadModelForCli(flags.model, flags.device);
  try {
    const progress = startProgress(io.progressStream, images.length, 'images', flags.progress);
    let results: Prediction[][];
    try {
      results = await classify(images, { model, topK: flags.top, batchSize: flags.batchSize, decode: decodeOptions(flags), onProgress: (done) => progress.update(done) });
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
  program
    .command('classify')
    .description('classify scene images with a classification model')
    .argument('<images...>', 'image files (JPEG, PNG, WebP, TIFF, GeoTIFF)')
    .requiredOption('-m, --model <file>', 'TorchScript model exported by "lwganet export"')
    .option('-k, --top <k>', 'classes to show per image', positiveInteger, 5)
    .option('-b, --batch-size <n>', 'images per forward pass', positiveInteger, 16)
    .option('-d, --device <device>', 'cpu, cuda or cuda:N')
    .option('--value-range <min,max>', VALUE_RANGE_HELP, valueRange)
    .option('--bands <r,g,b>', BANDS_HELP, bandList)
    .option('--json', 'print JSON on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .action((images: string[], flags: ClassifyFlags) => run(images, flags, io));
}
