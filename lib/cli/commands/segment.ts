/**
 * `lwganet segment IMAGE --model FILE --out MASK [--tile-size N --overlap N --color] [--overlay FILE] [--json]`:
 * semantic segmentation of an image of any size into a mask file (PNG or GeoTIFF by extension).
 */

import type { Command } from 'commander';
import { segment, type SegmentationResult } from '../../tasks/segmentation.js';
import { writeMaskFile } from '../../output/mask-file.js';
import { writeOverlayPng } from '../../output/overlay.js';
import type { CliIO } from '../io.js';
import { addApiFlags, asUsageError } from '../flags.js';
import { weightsNote } from '../weights-note.js';
import {
  FLAG_ROWS, checkOutput, checkVectorOutput, decodeOptions, lazyProgress, maskClassAreas, modelSummary, nonNegativeInteger, nonNegativeNumber, pixelArea,
  vectorCrs, writeVectorIfAsked, type DenseFlags,
} from './dense-common.js';
import { loadModelForCli } from './load-model.js';

interface SegmentFlags extends DenseFlags {
  color?: boolean;
  overlay?: string;
  background?: number;
}

/** Pixel count per class, in class order. */
export function classCounts(mask: Uint8Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < mask.length; i++) counts[mask[i]]++;
  return counts;
}

function report(image: string, flags: SegmentFlags, result: SegmentationResult, summary: Record<string, unknown>, features: number | null): Record<string, unknown> {
  const total = result.width * result.height;
  const area = pixelArea(result.geo, result.width, result.height);
  const counts = classCounts(result.mask, result.labels.length);
  const areas = maskClassAreas(result.mask, result.width, result.height, result.labels.length, result.geo, result.noData);
  return {
    image,
    model: summary,
    width: result.width,
    height: result.height,
    tiling: result.tiling,
    out: flags.out,
    overlay: flags.overlay ?? null,
    vector: flags.vector ?? null,
    vectorFeatures: features,
    crs: result.geo ? { epsg: result.geo.epsg, geoTransform: result.geo.geoTransform } : null,
    pixelArea: area,
    classes: result.labels.map((label, index) => ({
      index,
      label,
      color: result.palette[index] ?? null,
      pixels: counts[index],
      fraction: counts[index] / total,
      area: areas === null ? null : areas[index],
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
  checkVectorOutput(flags.vector);
  const model = await loadModelForCli(flags.model, flags);
  try {
    const progress = lazyProgress(io, flags.progress);
    const decode = decodeOptions(flags);
    let result: SegmentationResult;
    try {
      result = await segment(image, { model, tileSize: flags.tileSize, overlap: flags.overlap, batchSize: flags.batchSize, decode, onProgress: progress.onProgress });
    } catch (error) {
      throw asUsageError(error);
    } finally {
      progress.stop();
    }
    const { mask, width, height, palette, geo } = result;
    await writeMaskFile(flags.out, mask, width, height, { palette: flags.color ? palette : null, geo, noData: result.noData });
    if (flags.overlay !== undefined) await writeOverlayPng(flags.overlay, image, mask, width, height, palette, { decode });
    const features = await writeVectorIfAsked(flags, mask, width, height, geo, result.labels, result.noData, flags.background ?? null);
    const note = weightsNote(model.metadata);
    if (note) io.err(`${note}\n`);
    const summary = report(image, flags, result, modelSummary(flags.model, model), features);
    io.out(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatText(summary));
  } finally {
    model.dispose();
  }
}

export function registerSegment(program: Command, io: CliIO): void {
  const command = program
    .command('segment')
    .description('segment an image of any size (tiled) into a class mask')
    .argument('<image>', 'image file (JPEG, PNG, WebP, TIFF, GeoTIFF; GeoTIFFs are read by windows)')
    .requiredOption('-m, --model <file>', 'segmentation model exported by "lwganet export"')
    .requiredOption('-o, --out <mask>', 'mask file: .png (class indices, or colours with --color) or .tif (GeoTIFF keeping the input georeferencing)')
    .option('--color', 'write the palette into the mask (pixel values stay class indices)')
    .option('--overlay <file>', 'also write the image tinted by class colour (.png)')
    .option('--vector <file>', 'also write the class regions as polygons with class and area (m²): .geojson (WGS 84), .gpkg or .fgb (input CRS)')
    .option('--vector-crs <crs>', 'CRS of --vector: wgs84 or native (default: wgs84 for GeoJSON, native otherwise)', vectorCrs)
    .option('--background <index>', 'class index left out of --vector (e.g. a background class)', nonNegativeInteger)
    .option('--simplify <pixels>', 'simplify --vector outlines with this tolerance in pixels (default 0: exact)', nonNegativeNumber);
  addApiFlags(command, [FLAG_ROWS.tileSize('tile'), FLAG_ROWS.overlap('tiles'), FLAG_ROWS.batchSize('tiles', 2), FLAG_ROWS.valueRange, FLAG_ROWS.bands, FLAG_ROWS.device, FLAG_ROWS.threads]);
  command
    .option('--json', 'print a JSON summary (class pixel counts and areas in m²) on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .action((image: string, flags: SegmentFlags) => run(image, flags, io));
}
