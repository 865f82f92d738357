// Tile geometry and blend weights as pure functions: coverage, placement, overlap, weights.
import { describe, expect, it } from 'vitest';
import { planTiles, rampWeights, resolveTiling, tileStarts, tileWeights, rowTiles } from '../lib/image/tiling.js';

const RULE = { defaultTileSize: 256, tileMultiple: 32, minTileSize: 64, defaultOverlap: 32 };

describe('tileStarts', () => {
  it.each([[1, 64, 16], [64, 64, 16], [65, 64, 16], [150, 64, 0], [150, 64, 16], [1000, 256, 32], [10000, 1024, 128]])(
    'length %i, tile %i, overlap %i: covers every pixel, ends at the edge, neighbours overlap by at least the overlap',
    (length, tile, overlap) => {
      const starts = tileStarts(length, tile, overlap);
      expect(starts[0]).toBe(0);
      if (length <= tile) {
        expect(starts).toEqual([0]);
        return;
      }
      expect(starts[starts.length - 1] + tile).toBe(length);
      for (let i = 1; i < starts.length; i++) {
        expect(starts[i]).toBeGreaterThan(starts[i - 1]);
        expect(starts[i - 1] + tile - starts[i]).toBeGreaterThanOrEqual(overlap);
        if (i < starts.length - 1) expect(starts[i] - starts[i - 1]).toBe(tile - overlap);
      }
    },
  );

  it('uses no more tiles than needed', () => {
    expect(tileStarts(128, 64, 0)).toEqual([0, 64]);
    expect(tileStarts(129, 64, 0)).toEqual([0, 64, 65]);
    expect(tileStarts(112, 64, 16)).toEqual([0, 48]);
  });
});

describe('blend weights', () => {
  it('ramp smoothly over the overlap on sides with a neighbour, are 1 elsewhere and never 0', () => {
    const w = rampWeights(64, 16, true, true);
    expect(Math.min(...w)).toBeGreaterThan(0);
    expect(w[0]).toBeLessThan(0.01);
    expect(Array.from(w.subarray(16, 48))).toEqual(new Array(32).fill(1));
    for (let i = 1; i < 16; i++) expect(w[i]).toBeGreaterThan(w[i - 1]);
    for (let i = 0; i < 64; i++) expect(w[i]).toBeCloseTo(w[63 - i], 6);
    // Two raised-cosine ramps over the same pixels sum to 1: no bump or dip at the seam.
    for (let i = 0; i < 16; i++) expect(w[i] + w[15 - i]).toBeCloseTo(1, 6);
    expect(Array.from(rampWeights(64, 16, false, true).subarray(0, 48))).toEqual(new Array(48).fill(1));
    expect(Array.from(rampWeights(64, 0, true, true))).toEqual(new Array(64).fill(1));
  });

  it('keep full weight at the image border', () => {
    const grid = planTiles(150, 97, 64, 16);
    const [first] = rowTiles(grid, 0);
    const [wx, wy] = tileWeights(grid, first);
    expect(wx[0]).toBe(1);
    expect(wy[0]).toBe(1);
    expect(wx[63]).toBeLessThan(0.01);
    const last = rowTiles(grid, grid.ys.length - 1).at(-1)!;
    const [lx, ly] = tileWeights(grid, last);
    expect([lx[63], ly[63]]).toEqual([1, 1]);
  });
});

describe('resolveTiling', () => {
  it('fills defaults from the model rule, scaling the overlap to small tiles', () => {
    expect(resolveTiling(RULE, undefined, undefined)).toEqual({ tileSize: 256, overlap: 32 });
    expect(resolveTiling(RULE, 64, undefined)).toEqual({ tileSize: 64, overlap: 16 });
    expect(resolveTiling(RULE, 512, 0)).toEqual({ tileSize: 512, overlap: 0 });
  });

  it('rejects tiles the model cannot take and overlaps beyond half a tile', () => {
    expect(() => resolveTiling(RULE, 96 + 1, 0)).toThrow(RangeError);
    expect(() => resolveTiling(RULE, 32, 0)).toThrow(/at least 64/);
    expect(() => resolveTiling(RULE, 128, 65)).toThrow(RangeError);
    expect(() => resolveTiling(RULE, 128, -1)).toThrow(RangeError);
    expect(() => resolveTiling(RULE, '128', 0)).toThrow(TypeError);
    expect(() => resolveTiling({ ...RULE, defaultTileSize: 100 }, undefined, 0)).toThrow(/METADATA|tiling/);
  });

  it('says what it expected, and holds the model to its own rule', () => {
    expect(() => resolveTiling(RULE, '128', 0)).toThrow('Expected a positive integer for tileSize but received "128" of type string');
    expect(() => resolveTiling(RULE, 97, 0)).toThrow("Expected a multiple of 32 of at least 64 (this model's tile rule) for tileSize");
    expect(() => resolveTiling(RULE, 128, '8')).toThrow(TypeError);
    expect(() => resolveTiling(RULE, 128, '8')).toThrow('Expected a non-negative integer for overlap');
    expect(() => resolveTiling(RULE, 128, 65)).toThrow('Expected an integer from 0 to half the tile size (64) for overlap');
    // Half a tile is the largest overlap; integers only; tiles beyond exact integers are no tiles.
    expect(resolveTiling(RULE, 128, 64)).toEqual({ tileSize: 128, overlap: 64 });
    expect(() => resolveTiling(RULE, 128, 1.5)).toThrow(RangeError);
    expect(() => resolveTiling(RULE, 2 ** 60, 0)).toThrow(RangeError);
    // A default tile below the model's own minimum (though a multiple) is broken metadata.
    for (const broken of [{ ...RULE, defaultTileSize: 100 }, { ...RULE, defaultTileSize: 32 }]) {
      expect(() => resolveTiling(broken, 128, 0)).toThrow(expect.objectContaining({
        code: 'METADATA_INVALID', message: 'Model metadata is invalid: tiling.defaultTileSize breaks its own tileMultiple/minTileSize rule',
      }));
    }
    // The default tile may be the minimum itself.
    expect(resolveTiling({ ...RULE, defaultTileSize: 64 }, undefined, undefined)).toEqual({ tileSize: 64, overlap: 16 });
  });
});
