/**
 * `lwganet detect IMAGE --model FILE [--out boxes.geojson|.json|.txt] [--draw out.png]
 *  [--score-threshold T] [--iou-threshold T] [--tile-size N] [--overlap N] [--json]`: oriented object detection on an
 * image of any size (DOTA-style patches merged by rotated NMS).
 */

import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Command } from 'commander';
import { writeDetectionsPng } from '../../output/detections-draw.js';
import { detectionFormatFor, writeDetectionsFile } from '../../output/detections-file.js';
import { detectionsDocument } from '../../output/detections-json.js';
import { updateDotaTask1 } from '../../output/dota-task1.js';
import type { VectorCrs } from '../../output/vector-file.js';
import { detect, type DetectionResult } from '../../tasks/detection.js';
import { CliError } from '../cli-error.js';
import { checkWritableOutput } from '../output-path.js';
import type { CliIO } from '../io.js';
import { addApiFlags, asUsageError } from '../flags.js';
import { weightsNote } from '../weights-note.js';
import { FLAG_ROWS, decodeOptions, lazyProgress, modelSummary, unitNumber, vectorCrs, type TiledImageFlags } from './dense-common.js';
import { loadModelForCli } from './load-model.js';

interface DetectFlags extends TiledImageFlags {
  out?: string;
  draw?: string;
  crs?: VectorCrs;
  clip?: boolean;
  task1?: string;
  scoreThreshold?: number;
  iouThreshold?: number;
}

/** Fails before any inference when an output cannot be written where asked. */
function checkOutputs(flags: DetectFlags): void {
  if (flags.out !== undefined) {
    try {
      detectionFormatFor(flags.out);
    } catch {
      throw new CliError(`Output file ${JSON.stringify(flags.out)} must end in .json, .geojson, .gpkg, .fgb or .txt (DOTA)`, 2);
    }
    checkWritableOutput(flags.out, 'output file');
  }
  // The Task1 directory is created when missing; its parent must then take it.
  if (flags.task1 !== undefined) checkWritableOutput(existsSync(flags.task1) ? join(flags.task1, 'Task1_x.txt') : flags.task1, 'Task1 directory');
  if (flags.draw !== undefined) {
    if (extname(flags.draw).toLowerCase() !== '.png') throw new CliError(`Picture file ${JSON.stringify(flags.draw)} must end in .png`, 2);
    checkWritableOutput(flags.draw, 'picture file');
  }
}

function classCounts(result: DetectionResult): Array<{ index: number; label: string; count: number }> {
  const counts = result.labels.map((label, index) => ({ index, label, count: 0 }));
  for (const d of result.detections) counts[d.index].count++;
  return counts;
}

function formatText(image: string, flags: DetectFlags, result: DetectionResult): string {
  const where = [flags.out, flags.task1, flags.draw].filter((f) => f !== undefined).join(', ');
  const head = `${image}: ${result.width}×${result.height}, ${result.detections.length} detection${result.detections.length === 1 ? '' : 's'} `
    + `(${result.tiling.tiles} patch${result.tiling.tiles === 1 ? '' : 'es'} of ${result.tiling.tileSize}, score > ${result.scoreThreshold})${where ? ` → ${where}` : ''}\n`;
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
  const model = await loadModelForCli(flags.model, flags);
  try {
    const decode = decodeOptions(flags);
    // A patch takes seconds on a CPU: show the bar from two patches up.
    const progress = lazyProgress(io, flags.progress, 'patches', 2);
    let result: DetectionResult;
    try {
      result = await detect(image, {
        model, scoreThreshold: flags.scoreThreshold, iouThreshold: flags.iouThreshold, tileSize: flags.tileSize, overlap: flags.overlap, decode, onProgress: progress.onProgress,
      });
    } catch (error) {
      throw asUsageError(error);
    } finally {
      progress.stop();
    }
    if (flags.out !== undefined) await writeDetectionsFile(flags.out, result, { crs: flags.crs, clip: flags.clip ?? false });
    if (flags.task1 !== undefined) await updateDotaTask1(flags.task1, image, result, { clip: flags.clip ?? false });
    if (flags.draw !== undefined) await writeDetectionsPng(flags.draw, image, result, { decode });
    const note = weightsNote(model.metadata);
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
  const command = program
    .command('detect')
    .description('detect rotated objects in an image of any size (DOTA-style patches, merged by rotated NMS)')
    .argument('<image>', 'image file (JPEG, PNG, WebP, TIFF, GeoTIFF; GeoTIFFs are read by windows)')
    .requiredOption('-m, --model <file>', 'rotated-detection model exported by "lwganet export"')
    .option('-o, --out <file>', 'detections file: .json (pixels), .geojson (polygons; WGS 84 lon/lat for a georeferenced input), .gpkg or .fgb (polygons in the input CRS) or .txt (DOTA label file: x1 y1 … x4 y4 class difficulty)')
    .option('--crs <crs>', 'CRS of a .geojson/.gpkg/.fgb output: wgs84 or native (default: wgs84 for GeoJSON, native otherwise)', vectorCrs)
    .option('--task1 <dir>', 'add this image\'s boxes to the DOTA Task1 submission files DIR/Task1_<class>.txt (replacing its earlier lines)')
    .option('--clip', 'clip DOTA boxes (.txt and --task1) to the image')
    .option('--draw <file>', 'also write the image with the boxes drawn (.png)');
  addApiFlags(command, [
    { api: 'scoreThreshold', short: '-s', aliases: ['--score'], value: '<t>', description: 'keep detections scoring above this (default: the model\'s, 0.05)', parse: unitNumber },
    { api: 'iouThreshold', aliases: ['--iou'], value: '<t>', description: 'IoU above which overlapping boxes of a class are merged across patches (default: the model\'s, 0.1)', parse: unitNumber },
    FLAG_ROWS.tileSize('patch'), FLAG_ROWS.overlap('patches'), FLAG_ROWS.valueRange, FLAG_ROWS.bands, FLAG_ROWS.device, FLAG_ROWS.threads,
  ]);
  command
    .option('--json', 'print the detections and a summary as JSON on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .action((image: string, flags: DetectFlags) => run(image, flags, io));
}
