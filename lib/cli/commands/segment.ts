/**
 * `lwganet segment IMAGE --model FILE --out MASK [--tile N --overlap N --color] [--overlay FILE] [--json]`:
 * semantic segmentation of an image of any size into a mask file (PNG or GeoTIFF by extension).
 */

import type { Command } from 'commander';
import { segment, type SegmentationResult } from '../../tasks/segmentation.js';
import { writeMaskFile } from '../../output/mask-file.js';
import { writeOverlayPng } from '../../output/overlay.js';
import type { CliIO } from '../io.js';
import { positiveInteger } from '../options.js';
import { weightsNote } from '../weights-note.js';
import { asUsageError, checkOutput, decodeOptions, lazyProgress, modelSummary, nonNegativeInteger, pixelArea, valueRange, bandList, BANDS_HELP, VALUE_RANGE_HELP, type DenseFlags } from './dense-common.js';
import { loadModelForCli } from './load-model.js';

interface SegmentFlags extends DenseFlags {
  color?: boolean;
  overlay?: string;
}

/** Pixel count per class, in class order. */
export function classCounts(mask: Uint8Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < mask.length; i++) counts[mask[i]]++;
  return counts;
}

function report(image: string, flags: SegmentFlags, result: SegmentationResult, summary: Record<string, unknown>): Record<string, unknown> {
  const total = result.width * result.height;
  const area = pixelArea(result.geo);
  const counts = classCounts(result.mask, result.labels.length);
  return {
    image,
    model: summary,
    width: result.width,
    height: result.height,
    tiling: result.tiling,
    out: flags.out,
    overlay: flags.overlay ?? null,
    crs: result.geo ? { epsg: result.geo.epsg, geoTransform: result.geo.geoTransform } : null,
    pixelArea: area,
    classes: result.labels.map((label, index) => ({
      index,
      label,
      color: result.palette[index] ?? null,
      pixels: counts[index],
      fraction: counts[index] / total,
      area: area === null ? null : counts[index] * area,
    })),
  };
}

function formatText(summary: Record<string, unknown>): string {
  const classes = summary.classes as Array<{ label: string; pixels: number; fraction: number }>;
  const width = Math.max(5, ...classes.map((c) => c.label.length));
  const lines = classes.map((c) => `  ${c.label.padEnd(width)}  ${String(c.pixels).padStart(12)} px  ${(100 * c.fraction).toFixed(2).padStart(6)}%`);
  return `${String(summary.image)}: ${String(summary.width)}×${String(summary.height)} → ${String(summary.out)}\n${lines.join('\n')}\n`;
}

async function run(image: string, flags: SegmentFlags, io: CliIO): Promise<void> {
  checkOutput(flags.out, 'Mask file', true);
  if (flags.overlay !== undefined) checkOutput(flags.overlay, 'Overlay file', false);
  const model = await loadModelForCli(flags.model, flags.device);
  try {
    const progress = lazyProgress(io, flags.progress);
    const decode = decodeOptions(flags);
    let result: SegmentationResult;
    try {
      result = await segment(image, { model, tileSize: flags.tile, overlap: flags.overlap, batchSize: flags.batchSize, decode, onProgress: progress.onProgress });
    } catch (error) {
      throw asUsageError(error);
    } finally {
      progress.stop();
    }
    const { mask, width, height, palette, geo } = result;
    await writeMaskFile(flags.out, mask, width, height, { palette: flags.color ? palette : null, geo, noData: result.noData });
    if (flags.overlay !== undefined) await writeOverlayPng(flags.overlay, image, mask, width, height, palette, { decode });
    const note = weightsNote(model.metadata);
    if (note) io.err(`${note}\n`);
    const summary = report(image, flags, result, modelSummary(flags.model, model));
    io.out(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatText(summary));
  } finally {
    model.dispose();
  }
}

export function registerSegment(program: Command, io: CliIO): void {
  program
    .command('segment')
    .description('segment an image of any size (tiled) into a class mask')
    .argument('<image>', 'image file (JPEG, PNG, WebP, TIFF, GeoTIFF; GeoTIFFs are read by windows)')
    .requiredOption('-m, --model <file>', 'segmentation model exported by "lwganet export"')
    .requiredOption('-o, --out <mask>', 'mask file: .png (class indices, or colours with --color) or .tif (GeoTIFF keeping the input georeferencing)')
    .option('-t, --tile <n>', 'tile size in pixels (default: the model\'s)', positiveInteger)
    .option('--overlap <n>', 'overlap between tiles in pixels (default: the model\'s)', nonNegativeInteger)
    .option('-b, --batch-size <n>', 'tiles per forward pass', positiveInteger, 2)
    .option('--color', 'write the palette into the mask (pixel values stay class indices)')
    .option('--overlay <file>', 'also write the image tinted by class colour (.png)')
    .option('--value-range <min,max>', VALUE_RANGE_HELP, valueRange)
    .option('--bands <r,g,b>', BANDS_HELP, bandList)
    .option('-d, --device <device>', 'cpu, cuda or cuda:N')
    .option('--json', 'print a JSON summary (class pixel counts and areas) on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .action((image: string, flags: SegmentFlags) => run(image, flags, io));
}
