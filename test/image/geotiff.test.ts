import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../lib/image/decode.js';
import { LwganetError } from '../../lib/errors.js';
import { geotiff, pattern, tempDir, writeFixture } from '../helpers/image-fixtures.js';

const W = 9;
const H = 6;
const tmp = tempDir('lwganet-geotiff-');
afterAll(tmp.cleanup);

const r = pattern(W, H, 1, 1);
const g = pattern(W, H, 1, 2);
const b = pattern(W, H, 1, 3);
const utm = { width: W, height: H, bands: [r, g, b], epsg: 32633, origin: [500000, 4000000, 10, 10] as [number, number, number, number] };

function interleave(bands: ArrayLike<number>[], map: (v: number) => number = (v) => v): number[] {
  const out: number[] = [];
  for (let i = 0; i < bands[0].length; i++) for (const band of bands) out.push(map(band[i]));
  return out;
}

function windowOf(band: Uint8Array, [l, t, rr, bb]: number[]): Uint8Array {
  const out: number[] = [];
  for (let y = t; y < bb; y++) for (let x = l; x < rr; x++) out.push(band[y * W + x]);
  return Uint8Array.from(out);
}

describe('decodeImage: GeoTIFF', () => {
  it('reads RGB pixels with the geotransform and EPSG code (path and buffer)', async () => {
    const bytes = geotiff(utm);
    for (const input of [new Uint8Array(bytes), writeFixture(tmp.dir, 'utm.tif', bytes)]) {
      const img = await decodeImage(input);
      expect(img.source).toEqual({ format: 'geotiff', channels: 3, bitsPerSample: 8 });
      expect(Array.from(img.data)).toEqual(interleave([r, g, b]));
      expect(img.geo).toMatchObject({ geoTransform: [500000, 10, 0, 4000000, 0, -10], epsg: 32633, window: [0, 0, W, H], fullWidth: W, fullHeight: H, noData: null });
      expect(img.geo?.crsWkt).toMatch(/UTM zone 33N/);
    }
  });

  it('reads a window and shifts the geotransform to its top-left pixel', async () => {
    const path = writeFixture(tmp.dir, 'utm-window.tif', geotiff(utm));
    const window = [2, 1, 7, 5];
    const img = await decodeImage(path, { window: window as [number, number, number, number] });
    expect([img.width, img.height]).toEqual([5, 4]);
    expect(Array.from(img.data)).toEqual(interleave([windowOf(r, window), windowOf(g, window), windowOf(b, window)]));
    expect(img.geo?.geoTransform).toEqual([500000 + 2 * 10, 10, 0, 4000000 - 1 * 10, 0, -10]);
    expect(img.geo?.window).toEqual(window);
  });

  it('reads a geographic CRS and a ModelTransformation matrix', async () => {
    const bytes = geotiff({ width: W, height: H, bands: [r, g, b], epsg: 4326, geographic: true,
      modelTransformation: [0.5, 0, 0, 10, 0, -0.25, 0, 50, 0, 0, 0, 0, 0, 0, 0, 1] });
    const img = await decodeImage(new Uint8Array(bytes), { window: [1, 2, 3, 4] });
    expect(img.geo?.epsg).toBe(4326);
    expect(img.geo?.geoTransform).toEqual([10 + 0.5, 0.5, 0, 50 - 2 * 0.25, 0, -0.25]);
  });

  it("replicates one uint16 band into RGB, with valueRange 'dtype' scaling the full uint16 range to 0..255", async () => {
    const band = new Uint16Array(W * H).map((_, i) => (i * 1237) % 65536);
    const img = await decodeImage(new Uint8Array(geotiff({ width: W, height: H, bands: [band], epsg: 32633, origin: [0, 0, 1, 1] })), { valueRange: 'dtype' });
    expect(img.source).toEqual({ format: 'geotiff', channels: 1, bitsPerSample: 16 });
    expect(Array.from(img.data)).toEqual(interleave([band, band, band], (v) => Math.round((v * 255) / 65535)));
  });

  it('selects bands, applies an explicit value range and clamps', async () => {
    const bands = [0, 1, 2, 3].map((k) => new Uint16Array(W * H).map((_, i) => 100 * k + i * 50));
    const img = await decodeImage(new Uint8Array(geotiff({ width: W, height: H, bands, epsg: 32633, origin: [0, 0, 1, 1] })), {
      bands: [3, 2, 1],
      valueRange: [0, 2000],
    });
    const map = (v: number) => Math.min(255, Math.round((v * 255) / 2000));
    expect(Array.from(img.data)).toEqual(interleave([bands[3], bands[2], bands[1]], map));
  });

  it("stretches float bands min..max with valueRange 'minmax', with nodata and NaN as 0", async () => {
    const band = new Float32Array(W * H).map((_, i) => 0.1 + i * 0.01);
    band[0] = -9999;
    band[1] = Number.NaN;
    const img = await decodeImage(new Uint8Array(geotiff({ width: W, height: H, bands: [band], noData: -9999, epsg: 32633, origin: [0, 0, 1, 1] })), { valueRange: 'minmax' });
    expect(img.geo?.noData).toBe(-9999);
    const lo = band[2];
    const hi = band[W * H - 1];
    const expected = Array.from(band, (v, i) => (i < 2 ? 0 : Math.round(((v - lo) * 255) / (hi - lo))));
    expect(Array.from(img.data)).toEqual(interleave([expected, expected, expected]));
  });
});

describe('decodeImage: GeoTIFF bad input (EXPECTED FAILURE)', () => {
  it('rejects windows outside the raster and malformed options', async () => {
    const bytes = new Uint8Array(geotiff(utm));
    await expect(decodeImage(bytes, { window: [0, 0, W + 1, H] })).rejects.toThrow(RangeError);
    await expect(decodeImage(bytes, { window: [3, 0, 3, H] })).rejects.toThrow(/non-empty window inside the 9×6 raster/);
    await expect(decodeImage(bytes, { window: [0, 0, 1] as never })).rejects.toThrow(TypeError);
    await expect(decodeImage(bytes, { bands: [0, 1, 3] })).rejects.toThrow(/band indices in 0..2/);
    await expect(decodeImage(bytes, { valueRange: [5, 5] })).rejects.toThrow(/min < max/);
    await expect(decodeImage(bytes, { valueRange: 'auto' as never })).rejects.toThrow(TypeError);
  });

  it('limits the pixels read, and says to use a window (IMAGE_TOO_LARGE)', async () => {
    const bytes = new Uint8Array(geotiff(utm));
    const error = await decodeImage(bytes, { maxPixels: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LwganetError);
    expect((error as LwganetError).code).toBe('IMAGE_TOO_LARGE');
    expect((error as Error).message).toMatch(/read a GeoTIFF by window/);
    const ok = await decodeImage(bytes, { maxPixels: 20, window: [0, 0, 4, 5] });
    expect(ok.width * ok.height).toBe(20);
  });

  it('rejects a truncated GeoTIFF with IMAGE_DECODE', async () => {
    const bytes = new Uint8Array(geotiff({ ...utm, width: 64, height: 64, bands: [1, 2, 3].map((s) => pattern(64, 64, 1, s)) }));
    for (const length of [8, 200, bytes.length - 100]) {
      const error = await decodeImage(bytes.subarray(0, length)).catch((e: unknown) => e);
      expect(error, `truncated to ${length} bytes`).toBeInstanceOf(LwganetError);
      expect((error as LwganetError).code).toBe('IMAGE_DECODE');
    }
  });
});
