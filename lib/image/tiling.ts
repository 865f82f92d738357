/**
 * Tile geometry for dense models on images of any size: square tiles the model accepts,
 * overlapping by a chosen amount, covering the image exactly.
 *
 * Placement: tiles start at 0, stride, 2·stride, … and the last tile of a row/column is moved
 * back so it ends at the image edge (as mmsegmentation's slide inference does), so no padding
 * is needed once the image is at least one tile wide. An image smaller than a tile is padded
 * on the right/bottom with black pixels (value 0 before normalisation, as GeoSeg pads) and the
 * padded part of the output is dropped.
 *
 * Blending: each tile's output is multiplied by a separable weight that ramps up (raised
 * cosine) over `overlap` pixels on sides that have a neighbouring tile and is 1 elsewhere, so
 * seams are smooth and pixels at the image border keep full weight. Every weight is > 0, so
 * dividing by the weight sum is always defined and a pixel seen by one tile gets that tile's
 * value exactly.
 */

import { LwganetError } from '../errors.js';
import { optionError } from '../options.js';
import type { TilingSpec } from '../model/metadata.js';

/** Where the tiles of one image go. */
export interface TileGrid {
  width: number;
  height: number;
  tileSize: number;
  overlap: number;
  /** Left edges of the tile columns, increasing. */
  xs: number[];
  /** Top edges of the tile rows, increasing. */
  ys: number[];
}

/** One tile: its top-left corner in image pixels and its place in the grid. */
export interface Tile {
  x: number;
  y: number;
  column: number;
  row: number;
}

/**
 * Checks a caller's tile size and overlap against the model's rule, filling in its defaults.
 * @throws RangeError for a tile the model cannot take or an overlap ≥ the tile size.
 */
export function resolveTiling(rule: TilingSpec, tileSize: unknown, overlap: unknown): { tileSize: number; overlap: number } {
  if (rule.defaultTileSize % rule.tileMultiple !== 0 || rule.defaultTileSize < rule.minTileSize) {
    throw new LwganetError('METADATA_INVALID', 'Model metadata is invalid: tiling.defaultTileSize breaks its own tileMultiple/minTileSize rule');
  }
  const tile = tileSize ?? rule.defaultTileSize;
  if (typeof tile !== 'number') throw optionError('tileSize', 'a positive integer', tile);
  if (!Number.isSafeInteger(tile) || tile < rule.minTileSize || tile % rule.tileMultiple !== 0) {
    throw optionError('tileSize', `a multiple of ${rule.tileMultiple} of at least ${rule.minTileSize} (this model's tile rule)`, tile, 'range');
  }
  // The default overlap is scaled to the chosen tile so a small tile is not mostly overlap.
  const fallback = Math.min(rule.defaultOverlap, Math.floor(tile / 4));
  const over = overlap ?? fallback;
  if (typeof over !== 'number') throw optionError('overlap', 'a non-negative integer', over);
  if (!Number.isSafeInteger(over) || over < 0 || over > tile / 2) throw optionError('overlap', `an integer from 0 to half the tile size (${tile / 2})`, over, 'range');
  return { tileSize: tile, overlap: over };
}

/** Tile starts along one axis of `length` pixels. */
export function tileStarts(length: number, tileSize: number, overlap: number): number[] {
  if (length <= tileSize) return [0];
  const stride = tileSize - overlap;
  const starts: number[] = [];
  for (let s = 0; s + tileSize < length; s += stride) starts.push(s);
  const last = length - tileSize;
  if (starts[starts.length - 1] !== last) starts.push(last);
  return starts;
}

/** Plans the tiles of a width × height image. */
export function planTiles(width: number, height: number, tileSize: number, overlap: number): TileGrid {
  return { width, height, tileSize, overlap, xs: tileStarts(width, tileSize, overlap), ys: tileStarts(height, tileSize, overlap) };
}

/** Number of tiles in a grid. */
export function tileCount(grid: TileGrid): number {
  return grid.xs.length * grid.ys.length;
}

/** The tiles of one grid row, left to right. */
export function rowTiles(grid: TileGrid, row: number): Tile[] {
  return grid.xs.map((x, column) => ({ x, y: grid.ys[row], column, row }));
}

/**
 * 1-D weights of a tile along one axis: a raised-cosine ramp over `overlap` pixels on each
 * side that has a neighbour (`rampStart` / `rampEnd`), 1 elsewhere; never 0.
 */
export function rampWeights(tileSize: number, overlap: number, rampStart: boolean, rampEnd: boolean): Float32Array {
  const w = new Float32Array(tileSize).fill(1);
  if (overlap === 0) return w;
  for (let i = 0; i < overlap; i++) {
    // Sample the ramp at pixel centres so the first weight is small but positive.
    const v = 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / overlap);
    if (rampStart) w[i] = Math.min(w[i], v);
    if (rampEnd) w[tileSize - 1 - i] = Math.min(w[tileSize - 1 - i], v);
  }
  return w;
}

/** Separable weights of one tile of a grid: [wx (tileSize), wy (tileSize)]. */
export function tileWeights(grid: TileGrid, tile: Tile): [Float32Array, Float32Array] {
  const lastColumn = grid.xs.length - 1;
  const lastRow = grid.ys.length - 1;
  return [
    rampWeights(grid.tileSize, grid.overlap, tile.column > 0, tile.column < lastColumn),
    rampWeights(grid.tileSize, grid.overlap, tile.row > 0, tile.row < lastRow),
  ];
}
