/**
 * Tiled inference for dense models (segmentation, change detection), with memory bounded by
 * one row band of tiles rather than the scene:
 * - the image(s) are read one band of tile rows at a time (window reads for GeoTIFF files);
 * - each tile's output is multiplied by its blend weight (tiling.ts) and added into a band
 *   accumulator of tileSize rows × image width × channels, plus a weight-sum plane;
 * - once a band's tiles are done, the rows no later tile touches are divided by their weight
 *   sum in place and handed to `emit` (which reduces them to a mask), and the accumulator slides.
 * Peak memory ≈ tileSize·width·(channels+1)·4 bytes + one band of pixels + one batch of tiles in and out.
 */

import { LwganetError } from '../errors.js';
import type { BandSource } from '../image/band-source.js';
import { buildLookupTables } from '../image/normalize.js';
import { rowTiles, tileCount, tileWeights, type Tile, type TileGrid } from '../image/tiling.js';
import type { ModelMetadata } from '../model/metadata.js';
import type { ModelOutput } from '../model/model.js';
import { Tensor } from '../tensor/tensor.js';
import { floatValues, runTask, type TaskModel } from './task-model.js';

export interface TiledRun {
  model: TaskModel;
  metadata: ModelMetadata;
  /** One source per model input, all of the grid's size. */
  sources: readonly BandSource[];
  grid: TileGrid;
  batchSize: number;
  signal: AbortSignal | null;
  onProgress: ((done: number, total: number) => void) | null;
  /**
   * Receives finished rows [top, top + rows) in order: `values` holds `channels` planes of
   * blended model outputs; plane k starts at k·stride and its first rows × width values are
   * these rows. Only valid during the call (the memory is reused).
   */
  emit(top: number, rows: number, values: Float32Array, channels: number, stride: number): void;
}

function checkAborted(signal: AbortSignal | null): void {
  if (signal?.aborted) throw new LwganetError('ABORTED', 'Tiled inference was aborted', { cause: signal.reason });
}

/** The map a dense model returned: its only tensor, or the first of a tuple/list (auxiliary maps follow it). */
export function denseOutput(output: ModelOutput, batch: number, tileSize: number): { values: ArrayLike<number>; channels: number } {
  const tensor = Array.isArray(output) ? output[0] : output;
  if (!(tensor instanceof Tensor)) throw new LwganetError('OUTPUT_UNSUPPORTED', 'A dense model must return a tensor [N, C, H, W] (or a tuple whose first item is one)');
  const [n, c, h, w] = tensor.shape;
  if (tensor.shape.length !== 4 || n !== batch || h !== tileSize || w !== tileSize || c < 1) {
    throw new LwganetError(
      'OUTPUT_UNSUPPORTED',
      `Expected the model to return [${batch}, C, ${tileSize}, ${tileSize}] for ${batch} tile(s) of ${tileSize}×${tileSize}, but it returned [${tensor.shape.join(', ')}]`,
    );
  }
  return { values: floatValues(tensor), channels: c };
}

/** Normalised tile input: black (pixel 0) outside the image, as the padding rule says. */
function fillTile(band: Uint8Array, width: number, bandRows: number, tile: Tile, tileSize: number, tables: Float32Array[], bgr: boolean, out: Float32Array, offset: number): void {
  const cols = Math.min(tileSize, width - tile.x);
  const rows = Math.min(tileSize, bandRows);
  const plane = tileSize * tileSize;
  for (let c = 0; c < 3; c++) {
    const table = tables[c];
    const pad = table[0];
    const channel = bgr ? 2 - c : c;
    const base = offset + c * plane;
    for (let j = 0; j < tileSize; j++) {
      const row = base + j * tileSize;
      if (j >= rows) {
        out.fill(pad, row, row + tileSize);
        continue;
      }
      let s = (j * width + tile.x) * 3 + channel;
      for (let i = 0; i < cols; i++, s += 3) out[row + i] = table[band[s]];
      if (cols < tileSize) out.fill(pad, row + cols, row + tileSize);
    }
  }
}

class BandAccumulator {
  readonly sums: Float32Array;
  readonly weights: Float32Array;

  constructor(readonly channels: number, readonly capacity: number, readonly width: number) {
    this.sums = new Float32Array(channels * capacity * width);
    this.weights = new Float32Array(capacity * width);
  }

  /** Adds one tile's output (tile `index` of the batch) for the rows/columns inside the image. */
  add(values: ArrayLike<number>, index: number, tile: Tile, grid: TileGrid, bandRows: number): void {
    const { tileSize } = grid;
    const [wx, wy] = tileWeights(grid, tile);
    const cols = Math.min(tileSize, this.width - tile.x);
    const rows = Math.min(tileSize, bandRows);
    const plane = tileSize * tileSize;
    const accPlane = this.capacity * this.width;
    for (let j = 0; j < rows; j++) {
      const dst = j * this.width + tile.x;
      for (let i = 0; i < cols; i++) this.weights[dst + i] += wx[i] * wy[j];
      for (let k = 0; k < this.channels; k++) {
        const src = (index * this.channels + k) * plane + j * tileSize;
        const acc = k * accPlane + dst;
        for (let i = 0; i < cols; i++) this.sums[acc + i] += values[src + i] * wx[i] * wy[j];
      }
    }
  }

  /**
   * Divides the first `rows` rows by their weight sum in place, hands them to `emit` (plane k
   * starts at k·stride), then slides the rest up. In place, so no band-sized copy is made.
   */
  finish(rows: number, emit: (values: Float32Array, stride: number) => void): void {
    const { width, channels } = this;
    const accPlane = this.capacity * width;
    const n = rows * width;
    for (let k = 0; k < channels; k++) {
      const base = k * accPlane;
      for (let p = 0; p < n; p++) this.sums[base + p] /= this.weights[p];
    }
    emit(this.sums, accPlane);
    for (let k = 0; k < channels; k++) {
      const base = k * accPlane;
      this.sums.copyWithin(base, base + n, base + accPlane);
      this.sums.fill(0, base + accPlane - n, base + accPlane);
    }
    this.weights.copyWithin(0, n);
    this.weights.fill(0, accPlane - n);
  }
}

/**
 * Runs the model over every tile of the grid, emitting finished rows in order.
 * @returns the number of output channels the model produced
 * @throws LwganetError ABORTED when the signal fires (checked between batches),
 *   OUTPUT_UNSUPPORTED for a model whose output is not a full-resolution map.
 */
export async function runTiled(run: TiledRun): Promise<number> {
  const { grid, sources, metadata, batchSize } = run;
  const { width, height, tileSize } = grid;
  const tables = buildLookupTables(metadata.input);
  const bgr = metadata.input.colorOrder === 'BGR';
  const total = tileCount(grid);
  const plane = 3 * tileSize * tileSize;
  let accumulator: BandAccumulator | null = null;
  let done = 0;
  for (let r = 0; r < grid.ys.length; r++) {
    checkAborted(run.signal);
    const top = grid.ys[r];
    const bottom = Math.min(top + tileSize, height);
    const bands = await Promise.all(sources.map((s) => s.read(top, bottom)));
    const tiles = rowTiles(grid, r);
    for (let start = 0; start < tiles.length; start += batchSize) {
      checkAborted(run.signal);
      const batch = tiles.slice(start, start + batchSize);
      const inputs = bands.map((band) => {
        const data = new Float32Array(batch.length * plane);
        batch.forEach((tile, n) => fillTile(band, width, bottom - top, tile, tileSize, tables, bgr, data, n * plane));
        return new Tensor('float32', data, [batch.length, 3, tileSize, tileSize]);
      });
      const output = await runTask(run.model, inputs.length === 1 ? inputs[0] : inputs, run.signal);
      const { values, channels } = denseOutput(output, batch.length, tileSize);
      if (accumulator === null) accumulator = new BandAccumulator(channels, Math.min(tileSize, height), width);
      if (channels !== accumulator.channels) throw new LwganetError('OUTPUT_UNSUPPORTED', `The model returned ${channels} channels for one tile and ${accumulator.channels} for another`);
      batch.forEach((tile, n) => accumulator!.add(values, n, tile, grid, bottom - top));
      done += batch.length;
      run.onProgress?.(done, total);
    }
    const next = r + 1 < grid.ys.length ? grid.ys[r + 1] : height;
    const acc = accumulator!;
    acc.finish(next - top, (values, stride) => run.emit(top, next - top, values, acc.channels, stride));
  }
  return accumulator!.channels;
}
