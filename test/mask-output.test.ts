// Mask files: palette PNG (colours for viewers, indices for PIL), grey PNG, GeoTIFF keeping
// georeferencing (read back), overlay pixels, and no partial file when a write fails.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../lib/image/decode.js';
import { gdal } from '../lib/geo/gdal.js';
import { writeMaskGeotiff, writeProbabilityGeotiff } from '../lib/output/mask-geotiff.js';
import { writeMaskFile } from '../lib/output/mask-file.js';
import { writeMaskPng } from '../lib/output/mask-png.js';
import { writeOverlayPng } from '../lib/output/overlay.js';
import { defaultPalette } from '../lib/output/palette.js';
import { writePng } from '../lib/output/png-writer.js';
import { runPython } from './helpers/image-python.js';
import { geotiff, pattern, tempDir, writeFixture } from './helpers/image-fixtures.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('lwganet-mask-')));
afterAll(() => cleanup?.());

const PALETTE: Array<[number, number, number]> = [[128, 0, 0], [128, 64, 128], [0, 128, 0], [255, 255, 0]];

function mask(width: number, height: number): Uint8Array {
  return pattern(width, height, 1, 4).map((v) => v % PALETTE.length);
}

describe('PNG masks', () => {
  it('palette PNG: viewers see the colours, PIL reads the class indices', async () => {
    const [w, h] = [301, 77];
    const m = mask(w, h);
    const file = join(dir, 'palette.png');
    await writeMaskPng(file, m, w, h, { palette: PALETTE });
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([w, h, 3]);
    for (let p = 0; p < w * h; p++) expect([data[p * 3], data[p * 3 + 1], data[p * 3 + 2]]).toEqual(PALETTE[m[p]]);
    const pil = JSON.parse(runPython(['-c', 'import sys, json, numpy as np; from PIL import Image; im = Image.open(sys.argv[1]); a = np.asarray(im); print(json.dumps([im.mode, a.shape, a.astype(int).sum().item(), im.getpalette()[:12]]))', file]));
    expect(pil).toEqual(['P', [h, w], m.reduce((s, v) => s + v, 0), PALETTE.flat()]);
  });

  it('grey PNG of raw indices, spanning several deflate bands', async () => {
    const [w, h] = [3000, 1500];
    const m = mask(w, h);
    const file = join(dir, 'grey.png');
    await writeMaskPng(file, m, w, h);
    const pil = JSON.parse(runPython(['-c', 'import sys, json, hashlib, numpy as np; from PIL import Image; im = Image.open(sys.argv[1]); print(json.dumps([im.mode, im.size, hashlib.sha256(np.ascontiguousarray(np.asarray(im)).tobytes()).hexdigest()]))', file]));
    expect(pil).toEqual(['L', [w, h], createHash('sha256').update(m).digest('hex')]);
  });

  it('rejects class indices without a colour and sizes that do not match', async () => {
    await expect(writeMaskPng(join(dir, 'x.png'), Uint8Array.of(0, 9), 2, 1, { palette: PALETTE })).rejects.toThrow(RangeError);
    await expect(writeMaskPng(join(dir, 'x.png'), new Uint8Array(3), 2, 1)).rejects.toThrow(RangeError);
    await expect(writeMaskFile(join(dir, 'x.jpg'), new Uint8Array(2), 2, 1)).rejects.toThrow(/\.png, \.tif or \.tiff/);
    expect(existsSync(join(dir, 'x.png'))).toBe(false);
  });

  it('leaves no file (final or temporary) when writing fails midway', async () => {
    const file = join(dir, 'partial.png');
    let calls = 0;
    const failing = writePng(file, { width: 4000, height: 4000, colorType: 'rgb' }, (top, bottom) => {
      if (++calls === 2) throw new Error('disk on fire');
      return new Uint8Array((bottom - top) * 4000 * 3);
    });
    await expect(failing).rejects.toThrow('disk on fire');
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });
});

describe('GeoTIFF masks', () => {
  it('keep the geotransform and CRS of a GeoTIFF input (read back)', async () => {
    const input = writeFixture(dir, 'in.tif', geotiff({ width: 90, height: 60, bands: [pattern(90, 60, 1, 2)], epsg: 32617, origin: [630000, 3900000, 30, 30] }));
    const { geo } = await decodeImage(input);
    const m = mask(90, 60);
    const file = join(dir, 'mask.tif');
    await writeMaskGeotiff(file, m, 90, 60, geo!);
    const image = await (await fromFile(file)).getImage();
    expect(image.getOrigin()).toEqual([630000, 3900000, 0]);
    expect(image.getResolution()).toEqual([30, -30, 0]);
    expect(image.getGeoKeys()).toMatchObject({ ProjectedCSTypeGeoKey: 32617, GTRasterTypeGeoKey: 1 });
    const [band] = (await image.readRasters()) as unknown as Uint8Array[];
    expect(Buffer.from(band).equals(Buffer.from(m))).toBe(true);
    const back = await decodeImage(file);
    expect(back.geo?.geoTransform).toEqual(geo!.geoTransform);
    expect(back.geo?.epsg).toBe(32617);
  });

  it('keep a rotated grid (ModelTransformation) and a geographic CRS', async () => {
    const transform = [0.5, 0.1, 0, 10, 0.1, -0.5, 0, 50, 0, 0, 0, 0, 0, 0, 0, 1];
    const input = writeFixture(dir, 'rot.tif', geotiff({ width: 20, height: 10, bands: [pattern(20, 10, 1, 3)], epsg: 4326, geographic: true, modelTransformation: transform }));
    const { geo } = await decodeImage(input);
    const file = join(dir, 'rot-mask.tif');
    await writeMaskFile(file, mask(20, 10), 20, 10, { geo });
    const back = await decodeImage(file);
    expect(back.geo?.geoTransform).toEqual(geo!.geoTransform);
    expect(back.geo?.epsg).toBe(4326);
  });

  it('a .tif mask of an image without georeferencing is a plain TIFF, not one claiming EPSG:4326', async () => {
    const file = join(dir, 'plain.tif');
    await writeMaskFile(file, mask(30, 20), 30, 20);
    const back = await decodeImage(file);
    expect(back.geo).toBeNull();
    expect(back.width).toBe(30);
  });
});

describe('GeoTIFF writer options (read back with GDAL)', () => {
  const GEO = { geoTransform: [1000, 2, 0, 5000, 0, -2] as [number, number, number, number, number, number], epsg: 32631, crsWkt: null, window: [0, 0, 4, 3] as [number, number, number, number], fullWidth: 4, fullHeight: 3, noData: null };

  it('class masks: a DEFLATE COG with the palette as colour table and the nodata value; overviews on request', async () => {
    const file = join(dir, 'options-mask.tif');
    await writeMaskGeotiff(file, Uint8Array.from([0, 1, 2, 3, 3, 2, 1, 0, 255, 255, 0, 1]), 4, 3, GEO, { palette: PALETTE, noData: 255 });
    const ds = gdal().open(file);
    try {
      const band = ds.bands.get(1);
      expect(band.dataType).toBe('Byte');
      expect(band.noDataValue).toBe(255);
      expect(ds.getMetadata('IMAGE_STRUCTURE')).toMatchObject({ COMPRESSION: 'DEFLATE', LAYOUT: 'COG' });
      const table = band.colorTable!;
      expect(PALETTE.map((_, i) => { const c = table.get(i); return [c.c1, c.c2, c.c3, c.c4]; })).toEqual(PALETTE.map((c) => [...c, 255]));
      expect(band.overviews.count()).toBe(0);
      expect(ds.geoTransform).toEqual(GEO.geoTransform);
      // The CRS given only as an EPSG code, and no predictor (DEFLATE alone suits class labels).
      expect(ds.srs?.getAuthorityCode(null)).toBe('32631');
      expect(ds.getMetadata('IMAGE_STRUCTURE').PREDICTOR).toBeUndefined();
    } finally {
      ds.close();
    }
    // 600 × 600 is more than one 512 block: overviews are built when asked for.
    const big = { ...GEO, window: [0, 0, 600, 600] as [number, number, number, number], fullWidth: 600, fullHeight: 600 };
    const overviews = join(dir, 'options-overviews.tif');
    await writeMaskGeotiff(overviews, new Uint8Array(600 * 600), 600, 600, big, { overviews: true });
    const withOverviews = gdal().open(overviews);
    expect(withOverviews.bands.get(1).overviews.count()).toBeGreaterThan(0);
    expect(withOverviews.bands.get(1).noDataValue).toBeNull();
    withOverviews.close();
    // Not asked for: none, however large the mask.
    const plain = join(dir, 'options-no-overviews.tif');
    await writeMaskGeotiff(plain, new Uint8Array(600 * 600), 600, 600, big);
    const withoutOverviews = gdal().open(plain);
    expect(withoutOverviews.bands.get(1).overviews.count()).toBe(0);
    withoutOverviews.close();
  });

  it('probability maps: Float32 with NaN as nodata and the values as given; a CRS given only as WKT', async () => {
    const file = join(dir, 'options-probability.tif');
    const values = Float32Array.from([0, 0.25, 0.5, 1, Number.NaN, 0.75, 0.125, 0.375, 0.625, 0.875, 0.1, 0.9]);
    const wkt = gdal().SpatialReference.fromEPSG(32631).toWKT();
    await writeProbabilityGeotiff(file, values, 4, 3, { ...GEO, epsg: null, crsWkt: wkt });
    const ds = gdal().open(file);
    try {
      const band = ds.bands.get(1);
      expect(band.dataType).toBe('Float32');
      expect(Number.isNaN(band.noDataValue)).toBe(true);
      expect(band.colorTable ?? null).toBeNull();
      expect(Array.from(band.pixels.read(0, 0, 4, 3) as Float32Array)).toEqual(Array.from(values));
      expect(ds.srs?.getAuthorityCode(null)).toBe('32631');
      // Floating-point predictor: DEFLATE compresses smooth probabilities much better with it.
      expect(ds.getMetadata('IMAGE_STRUCTURE').PREDICTOR).toBe('3');
    } finally {
      ds.close();
    }
    await expect(writeProbabilityGeotiff(file, new Float32Array(11), 4, 3, GEO)).rejects.toThrow(new TypeError('Expected a Float32Array of 12 values for probability but received a Float32Array of type object'));
  });

  it('geo must be the georeferencing of a georeferenced input (exact message); a geotransform without CRS writes no CRS', async () => {
    const file = join(dir, 'bad-geo.tif');
    const expected = (received: string) => new TypeError(`Expected the georeferencing of a georeferenced input (write a PNG for other inputs) for geo but received ${received}`);
    for (const [geo, received] of [
      [null, 'null of type object'],
      [undefined, 'undefined of type undefined'],
      ['EPSG:32631', '"EPSG:32631" of type string'],
      [{ epsg: 32631 }, 'an object (Object) of type object'],
      [{ ...GEO, geoTransform: '1000,2,0,5000,0,-2' }, 'an object (Object) of type object'],
      [{ ...GEO, geoTransform: [0, 1, 0, 0, 0] }, 'an object (Object) of type object'],
    ] as const) {
      await expect(writeMaskGeotiff(file, new Uint8Array(12), 4, 3, geo as never), JSON.stringify(geo)).rejects.toThrow(expected(received));
    }
    expect(existsSync(file)).toBe(false);
    await writeMaskGeotiff(file, new Uint8Array(12), 4, 3, { ...GEO, epsg: null, crsWkt: null });
    const ds = gdal().open(file);
    expect(ds.srs).toBeNull();
    expect(ds.geoTransform).toEqual(GEO.geoTransform);
    ds.close();
  });

  it("GDAL's own error reaches the caller when the file cannot be built (a CRS that is not WKT), and no file is left", async () => {
    const file = join(dir, 'bad-wkt.tif');
    const gdalError = (() => {
      try {
        gdal().SpatialReference.fromWKT('not a CRS');
      } catch (error) {
        return error as Error;
      }
      throw new Error('GDAL took "not a CRS" as WKT');
    })();
    await expect(writeMaskGeotiff(file, new Uint8Array(12), 4, 3, { ...GEO, crsWkt: 'not a CRS' })).rejects.toThrow(gdalError.message);
    expect(existsSync(file)).toBe(false);
  });
});

describe('overlay', () => {
  it('tints every pixel by its class colour with alpha', async () => {
    const [w, h] = [40, 30];
    const rgb = pattern(w, h, 3, 8);
    const m = mask(w, h);
    const file = join(dir, 'overlay.png');
    await writeOverlayPng(file, { data: rgb, width: w, height: h, channels: 3 }, m, w, h, PALETTE, { alpha: 0.25 });
    const { data } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    for (let p = 0; p < w * h; p++) for (let c = 0; c < 3; c++) expect(data[p * 3 + c]).toBe(Math.round(0.75 * rgb[p * 3 + c] + 0.25 * PALETTE[m[p]][c]));
    await expect(writeOverlayPng(join(dir, 'o2.png'), { data: rgb, width: w, height: h, channels: 3 }, m.subarray(0, 40 * 29), 40, 29, PALETTE)).rejects.toMatchObject({ code: 'INPUT_SHAPE' });
  });

  it('default palette is the PASCAL VOC colour map', () => {
    expect(defaultPalette(4)).toEqual([[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]]);
  });
});
