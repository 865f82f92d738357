/**
 * `lwganet change BEFORE AFTER --model FILE --out MASK [--json]`: change detection between two
 * co-registered images of any size into a 0/1 mask (PNG or GeoTIFF by extension).
 */

import { InvalidArgumentError, type Command } from 'commander';
import { detectChanges, type ChangeResult } from '../../tasks/change-detection.js';
import { writeMaskFile } from '../../output/mask-file.js';
import { CHANGE_PALETTE } from '../../output/palette.js';
import type { CliIO } from '../io.js';
import { positiveInteger } from '../options.js';
import { weightsNote } from '../weights-note.js';
import { asUsageError, checkOutput, decodeOptions, lazyProgress, modelSummary, nonNegativeInteger, pixelArea, valueRange, bandList, BANDS_HELP, VALUE_RANGE_HELP, type DenseFlags } from './dense-common.js';
import { loadModelForCli } from './load-model.js';

interface ChangeFlags extends DenseFlags {
  threshold: number;
  color?: boolean;
}

function threshold(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number from 0 to 1.');
  return n;
}

function report(before: string, after: string, flags: ChangeFlags, result: ChangeResult, summary: Record<string, unknown>): Record<string, unknown> {
  const total = result.width * result.height;
  const area = pixelArea(result.geo);
  return {
    before,
    after,
    model: summary,
    width: result.width,
    height: result.height,
    tiling: result.tiling,
    out: flags.out,
    threshold: flags.threshold,
    crs: result.geo ? { epsg: result.geo.epsg, geoTransform: result.geo.geoTransform } : null,
    pixelArea: area,
    changedPixels: result.changedPixels,
    totalPixels: total,
    changedFraction: result.changedPixels / total,
    changedArea: area === null ? null : result.changedPixels * area,
  };
}

async function run(before: string, after: string, flags: ChangeFlags, io: CliIO): Promise<void> {
  checkOutput(flags.out, 'Mask file', true);
  const model = await loadModelForCli(flags.model, flags.device);
  try {
    const progress = lazyProgress(io, flags.progress);
    let result: ChangeResult;
    try {
      result = await detectChanges(before, after, {
        model, tileSize: flags.tile, overlap: flags.overlap, batchSize: flags.batchSize, threshold: flags.threshold,
        decode: decodeOptions(flags), onProgress: progress.onProgress,
      });
    } catch (error) {
      throw asUsageError(error);
    } finally {
      progress.stop();
    }
    // Without --color a PNG mask holds 0/1 (what evaluation scripts read); with it, black/white.
    await writeMaskFile(flags.out, result.mask, result.width, result.height, { palette: flags.color ? CHANGE_PALETTE : null, geo: result.geo, noData: result.noData });
    const note = weightsNote(model.metadata);
    if (note) io.err(`${note}\n`);
    const summary = report(before, after, flags, result, modelSummary(flags.model, model));
    if (flags.json) {
      io.out(`${JSON.stringify(summary, null, 2)}\n`);
    } else {
      const area = summary.changedArea === null ? '' : `, ${String(summary.changedArea)} map units²`;
      io.out(`${before} → ${after}: ${result.changedPixels} of ${result.width * result.height} pixels changed (${(100 * (summary.changedFraction as number)).toFixed(2)}%${area}) → ${flags.out}\n`);
    }
  } finally {
    model.dispose();
  }
}

export function registerChange(program: Command, io: CliIO): void {
  program
    .command('change')
    .description('detect changes between two co-registered images of any size (tiled)')
    .argument('<before>', 'earlier image (JPEG, PNG, WebP, TIFF, GeoTIFF)')
    .argument('<after>', 'later image, same size and grid')
    .requiredOption('-m, --model <file>', 'change-detection model exported by "lwganet export"')
    .requiredOption('-o, --out <mask>', 'mask file: .png (0/1, or black/white with --color) or .tif (GeoTIFF keeping the georeferencing)')
    .option('-t, --tile <n>', 'tile size in pixels (default: the model\'s)', positiveInteger)
    .option('--overlap <n>', 'overlap between tiles in pixels (default: the model\'s)', nonNegativeInteger)
    .option('-b, --batch-size <n>', 'tile pairs per forward pass', positiveInteger, 2)
    .option('--threshold <p>', 'probability above which a pixel is changed', threshold, 0.5)
    .option('--color', 'black/white palette in the mask (pixel values stay 0/1)')
    .option('--value-range <min,max>', VALUE_RANGE_HELP, valueRange)
    .option('--bands <r,g,b>', BANDS_HELP, bandList)
    .option('-d, --device <device>', 'cpu, cuda or cuda:N')
    .option('--json', 'print a JSON summary (changed pixels and area) on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .action((before: string, after: string, flags: ChangeFlags) => run(before, after, flags, io));
}
