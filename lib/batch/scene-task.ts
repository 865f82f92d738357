/**
 * One scene through one task pipeline into its output file, named from the scene id only, so a
 * retried or duplicated job writes the same path. Every writer used here is atomic (temporary
 * file + rename), so a final path holds a whole result or nothing.
 *
 * Outputs: classify → ID.json (top-k predictions); segment → ID.png class-index mask (ID.tif,
 * georeferenced, for GeoTIFF input); change → ID.png 0/1 mask (ID.tif for GeoTIFF input);
 * detect → ID.geojson (RFC 7946 WGS 84 lon/lat for georeferenced input, pixels otherwise).
 */

import { mkdir } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { writeMaskFile } from '../output/mask-file.js';
import { writeDetectionsFile } from '../output/detections-file.js';
import { writeTextAtomically } from '../output/text-file.js';
import { classify } from '../tasks/classification.js';
import { detectChanges } from '../tasks/change-detection.js';
import { detect } from '../tasks/detection.js';
import { segment } from '../tasks/segmentation.js';
import type { TaskModel } from '../tasks/task-model.js';
import type { BatchSpec, Scene } from './spec.js';

function isTiff(file: string): boolean {
  return ['.tif', '.tiff'].includes(extname(file).toLowerCase());
}

/** The scene's output file, relative to the output directory. */
export function outputFile(spec: BatchSpec, scene: Scene): string {
  switch (spec.task) {
    case 'classify':
      return `${scene.id}.json`;
    case 'detect':
      return `${scene.id}.geojson`;
    default:
      return `${scene.id}${isTiff(scene.inputs[0]) ? '.tif' : '.png'}`;
  }
}

/** Runs the task on the scene and writes its output; resolves with the output's relative path. */
export async function processScene(spec: BatchSpec, scene: Scene, model: TaskModel, signal?: AbortSignal): Promise<string> {
  const rel = outputFile(spec, scene);
  const file = join(spec.out, rel);
  await mkdir(dirname(file), { recursive: true });
  const o = spec.options;
  const tiling = { tileSize: o.tileSize, overlap: o.overlap };
  switch (spec.task) {
    case 'classify': {
      const predictions = await classify(scene.inputs[0], { model, topK: o.topK });
      await writeTextAtomically(file, `${JSON.stringify({ scene: scene.id, image: scene.inputs[0], predictions }, null, 2)}\n`);
      break;
    }
    case 'segment': {
      const r = await segment(scene.inputs[0], { model, ...tiling, batchSize: o.batchSize, signal });
      await writeMaskFile(file, r.mask, r.width, r.height, { palette: null, geo: r.geo, noData: r.noData });
      break;
    }
    case 'change': {
      const r = await detectChanges(scene.inputs[0], scene.inputs[1], { model, ...tiling, batchSize: o.batchSize, threshold: o.threshold, signal });
      await writeMaskFile(file, r.mask, r.width, r.height, { palette: null, geo: r.geo, noData: r.noData });
      break;
    }
    case 'detect': {
      const r = await detect(scene.inputs[0], { model, ...tiling, scoreThreshold: o.scoreThreshold, signal });
      await writeDetectionsFile(file, r);
      break;
    }
  }
  return rel;
}
