/**
 * `lwganet detect IMAGE --model FILE [--out boxes.geojson|.json|.txt] [--draw out.png]
 *  [--score T] [--iou T] [--tile N] [--overlap N] [--json]`: oriented object detection on an
 * image of any size (DOTA-style patches merged by rotated NMS).
 */

import { extname } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { ModelMetadata } from '../../metadata.js';
import { writeDetectionsPng } from '../../output/detections-draw.js';
import { detectionFormatFor, writeDetectionsFile } from '../../output/detections-file.js';
import { detectionsDocument } from '../../output/detections-json.js';
import { detect, type DetectionResult } from '../../tasks/detection.js';
import { CliError } from '../cli-error.js';
import { checkWritableOutput } from '../output-path.js';
import type { CliIO } from '../io.js';
import { positiveInteger } from '../options.js';
import { decodeOptions, asUsageError, lazyProgress, modelSummary, nonNegativeInteger, valueRange, bandList, BANDS_HELP, VALUE_RANGE_HELP } from './dense-common.js';
import { loadModelForCli } from './load-model.js';

interface DetectFlags {
  model: string;
  out?: string;
  draw?: string;
  score?: number;
  iou?: number;
  tile?: number;
  overlap?: number;
  valueRange?: [number, number];
  bands?: [number, number, number];
  device?: string;
  json?: boolean;
  progress: boolean;
}

function unitNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number from 0 to 1.');
  return n;
}


/** Fails before any inference when an output cannot be written where asked. */
function checkOutputs(flags: DetectFlags): void {
  if (flags.out !== undefined) {
    try {
      detectionFormatFor(flags.out);
    } catch {
      throw new CliError(`Output file ${JSON.stringify(flags.out)} must end in .json, .geojson or .txt (DOTA)`, 2);
    }
    checkWritableOutput(flags.out, 'output file');
  }
  if (flags.draw !== undefined) {
    if (extname(flags.draw).toLowerCase() !== '.png') throw new CliError(`Picture file ${JSON.stringify(flags.draw)} must end in .png`, 2);
    checkWritableOutput(flags.draw, 'picture file');
  }
}

/** The note for seeded random weights: the boxes of such a model mean nothing. */
function seededNote(metadata: ModelMetadata | null): string | null {
  if (!metadata || metadata.weights?.source !== 'random-init') return null;
  const seed = metadata.weights.seed === null ? '' : ` (seed ${metadata.weights.seed})`;
  return `note: ${metadata.model} has seeded random weights${seed}, not trained ones, so its detections are meaningless; `
    + 'export a trained checkpoint (the official DOTA .pth files) with "lwganet export <model> --weights FILE"';
}

function classCounts(result: DetectionResult): Array<{ index: number; label: string; count: number }> {
  const counts = result.labels.map((label, index) => ({ index, label, count: 0 }));
  for (const d of result.detections) counts[d.index].count++;
  return counts;
}

function formatText(image: string, flags: DetectFlags, result: DetectionResult): string {
  const where = [flags.out, flags.draw].filter((f) => f !== undefined).join(', ');
  const head = `${image}: ${result.width}×${result.height}, ${result.detections.length} detection${result.detections.length === 1 ? '' : 's'} `
    + `(${result.tiling.patches} patch${result.tiling.patches === 1 ? '' : 'es'} of ${result.tiling.tileSize}, score > ${result.scoreThreshold})${where ? ` → ${where}` : ''}\n`;
  const counts = classCounts(result).filter((c) => c.count > 0);
  const width = Math.max(5, ...counts.map((c) => c.label.length));
  const lines = counts.map((c) => `  ${c.label.padEnd(width)}  ${String(c.count).padStart(6)}\n`).join('');
  // Without an output file the boxes themselves go to stdout.
  const boxes = flags.out === undefined
    ? result.detections.map((d) => `  ${d.label} ${d.score.toFixed(4)}  cx ${d.cx.toFixed(1)} cy ${d.cy.toFixed(1)} w ${d.w.toFixed(1)} h ${d.h.toFixed(1)} angle ${(d.angle * 180 / Math.PI).toFixed(1)}°\n`).join('')
    : '';
  return head + lines + boxes;
}

async function run(image: string, flags: DetectFlags, io: CliIO): Promise<void> {
  checkOutputs(flags);
  const model = await loadModelForCli(flags.model, flags.device);
  try {
    const decode = decodeOptions(flags);
    // A patch takes seconds on a CPU: show the bar from two patches up.
    const progress = lazyProgress(io, flags.progress, 'patches', 2);
    let result: DetectionResult;
    try {
      result = await detect(image, {
        model, scoreThreshold: flags.score, iouThreshold: flags.iou, tileSize: flags.tile, overlap: flags.overlap, decode, onProgress: progress.onProgress,
      });
    } catch (error) {
      throw asUsageError(error);
    } finally {
      progress.stop();
    }
    if (flags.out !== undefined) await writeDetectionsFile(flags.out, result);
    if (flags.draw !== undefined) await writeDetectionsPng(flags.draw, image, result, { decode });
    const note = seededNote(model.metadata);
    if (note) io.err(`${note}\n`);
    if (flags.json) {
      const report = { image, model: modelSummary(flags.model, model), out: flags.out ?? null, draw: flags.draw ?? null, classes: classCounts(result), ...detectionsDocument(result) };
      io.out(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      io.out(formatText(image, flags, result));
    }
  } finally {
    model.dispose();
  }
}

export function registerDetect(program: Command, io: CliIO): void {
  program
    .command('detect')
    .description('detect rotated objects in an image of any size (DOTA-style patches, merged by rotated NMS)')
    .argument('<image>', 'image file (JPEG, PNG, WebP, TIFF, GeoTIFF; GeoTIFFs are read by windows)')
    .requiredOption('-m, --model <file>', 'rotated-detection model exported by "lwganet export"')
    .option('-o, --out <file>', 'detections file: .json (pixels), .geojson (polygons; in the CRS for a GeoTIFF) or .txt (DOTA: x1 y1 … x4 y4 class score)')
    .option('--draw <file>', 'also write the image with the boxes drawn (.png)')
    .option('-s, --score <t>', 'keep detections scoring above this (default: the model\'s, 0.05)', unitNumber)
    .option('--iou <t>', 'IoU above which overlapping boxes of a class are merged across patches (default: the model\'s, 0.1)', unitNumber)
    .option('-t, --tile <n>', 'patch size in pixels (default: the model\'s, 1024)', positiveInteger)
    .option('--overlap <n>', 'overlap between patches in pixels (default: the model\'s, 200)', nonNegativeInteger)
    .option('--value-range <min,max>', VALUE_RANGE_HELP, valueRange)
    .option('--bands <r,g,b>', BANDS_HELP, bandList)
    .option('-d, --device <device>', 'cpu, cuda or cuda:N')
    .option('--json', 'print the detections and a summary as JSON on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .action((image: string, flags: DetectFlags) => run(image, flags, io));
}
