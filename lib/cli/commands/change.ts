/**
 * `lwganet change BEFORE AFTER --model FILE --out MASK [--json]`: change detection between two
 * co-registered images of any size into a 0/1 mask (PNG or GeoTIFF by extension).
 */

import type { Command } from 'commander';
import { detectChanges, type ChangeResult } from '../../tasks/change-detection.js';
import { writeMaskFile } from '../../output/mask-file.js';
import { CHANGE_PALETTE } from '../../output/palette.js';
import type { CliIO } from '../io.js';
import { addApiFlags, asUsageError } from '../flags.js';
import { weightsNote } from '../weights-note.js';
import {
  FLAG_ROWS, checkOutput, checkVectorOutput, unitNumber, decodeOptions, lazyProgress, maskClassAreas, modelSummary, nonNegativeNumber, pixelArea,
  vectorCrs, writeVectorIfAsked, type DenseFlags,
} from './dense-common.js';
import { loadModelForCli } from './load-model.js';

interface ChangeFlags extends DenseFlags {
  threshold: number;
  color?: boolean;
}

function report(before: string, after: string, flags: ChangeFlags, result: ChangeResult, summary: Record<string, unknown>, features: number | null): Record<string, unknown> {
  const total = result.width * result.height;
  const area = pixelArea(result.geo, result.width, result.height);
  const areas = maskClassAreas(result.mask, result.width, result.height, 2, result.geo, result.noData);
  return {
    before,
    after,
    model: summary,
    width: result.width,
    height: result.height,
    tiling: result.tiling,
    out: flags.out,
    vector: flags.vector ?? null,
    vectorFeatures: features,
    threshold: flags.threshold,
    crs: result.geo ? { epsg: result.geo.epsg, geoTransform: result.geo.geoTransform } : null,
    pixelArea: area,
    changedPixels: result.changedPixels,
    totalPixels: total,
    changedFraction: result.changedPixels / total,
    changedArea: areas === null ? null : areas[1],
  };
}

async function run(before: string, after: string, flags: ChangeFlags, io: CliIO): Promise<void> {
  checkOutput(flags.out, 'Mask file', true);
  checkVectorOutput(flags.vector);
  const model = await loadModelForCli(flags.model, flags);
  try {
    const progress = lazyProgress(io, flags.progress);
    let result: ChangeResult;
    try {
      result = await detectChanges(before, after, {
        model, tileSize: flags.tileSize, overlap: flags.overlap, batchSize: flags.batchSize, threshold: flags.threshold,
        decode: decodeOptions(flags), onProgress: progress.onProgress,
      });
    } catch (error) {
      throw asUsageError(error);
    } finally {
      progress.stop();
    }
    // Without --color a PNG mask holds 0/1 (what evaluation scripts read); with it, black/white.
    await writeMaskFile(flags.out, result.mask, result.width, result.height, { palette: flags.color ? CHANGE_PALETTE : null, geo: result.geo, noData: result.noData });
    // Polygons of the changed regions only: class 0 (unchanged) is the background.
    const features = await writeVectorIfAsked(flags, result.mask, result.width, result.height, result.geo, ['unchanged', 'changed'], result.noData, 0);
    const note = weightsNote(model.metadata);
    if (note) io.err(`${note}\n`);
    const summary = report(before, after, flags, result, modelSummary(flags.model, model), features);
    if (flags.json) {
      io.out(`${JSON.stringify(summary, null, 2)}\n`);
    } else {
      const area = summary.changedArea === null ? '' : `, ${String(summary.changedArea)} m²`;
      io.out(`${before} → ${after}: ${result.changedPixels} of ${result.width * result.height} pixels changed (${(100 * (summary.changedFraction as number)).toFixed(2)}%${area}) → ${flags.out}\n`);
    }
  } finally {
    model.dispose();
  }
}

export function registerChange(program: Command, io: CliIO): void {
  const command = program
    .command('change')
    .description('detect changes between two co-registered images of any size (tiled)')
    .argument('<before>', 'earlier image (JPEG, PNG, WebP, TIFF, GeoTIFF)')
    .argument('<after>', 'later image, same size and grid')
    .requiredOption('-m, --model <file>', 'change-detection model exported by "lwganet export"')
    .requiredOption('-o, --out <mask>', 'mask file: .png (0/1, or black/white with --color) or .tif (GeoTIFF keeping the georeferencing)')
    .option('--color', 'black/white palette in the mask (pixel values stay 0/1)')
    .option('--vector <file>', 'also write the changed regions as polygons with area (m²): .geojson (WGS 84), .gpkg or .fgb (input CRS)')
    .option('--vector-crs <crs>', 'CRS of --vector: wgs84 or native (default: wgs84 for GeoJSON, native otherwise)', vectorCrs)
    .option('--simplify <pixels>', 'simplify --vector outlines with this tolerance in pixels (default 0: exact)', nonNegativeNumber);
  addApiFlags(command, [
    FLAG_ROWS.tileSize('tile'), FLAG_ROWS.overlap('tiles'), FLAG_ROWS.batchSize('tile pairs', 2),
    { api: 'threshold', value: '<p>', description: 'probability above which a pixel is changed', parse: unitNumber, default: 0.5 },
    FLAG_ROWS.valueRange, FLAG_ROWS.bands, FLAG_ROWS.device, FLAG_ROWS.threads,
  ]);
  command
    .option('--json', 'print a JSON summary (changed pixels and area) on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .action((before: string, after: string, flags: ChangeFlags) => run(before, after, flags, io));
}
