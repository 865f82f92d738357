// The GDAL reader's rules on rasters written here with GDAL itself (gdal-async), one rule per
// test with hand-worked expected values: what counts as georeferenced (and which CRS has an EPSG
// code), the value ranges (type defaults, percentiles, nodata left out, rounding), non-finite
// samples and band nodata values as nodata, windows and reduced reads, the option checks with
// their messages, which inputs band sources read by windows, and that no GDAL in-memory file or
// file descriptor is left behind.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gdal } from '../lib/geo/gdal.js';
import { decodeImage } from '../lib/image/decode.js';
import { openBandSource } from '../lib/image/band-source.js';
import { openGdalRaster } from '../lib/image/gdal-raster.js';
import { MASK_NODATA, applyNodata } from '../lib/tasks/nodata.js';
import { tempDir } from './helpers/image-fixtures.js';

const { dir, cleanup } = tempDir('lwganet-gdal-raster-');
afterAll(() => cleanup());

type Samples = Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;
const TYPES = new Map<Function, string>([[Uint8Array, 'Byte'], [Uint16Array, 'UInt16'], [Int16Array, 'Int16'], [Uint32Array, 'UInt32'], [Int32Array, 'Int32'], [Float32Array, 'Float32']]);

interface RasterGeo {
  geoTransform?: number[];
  epsg?: number;
  /** A CRS as PROJ string or WKT (user-defined, no authority). */
  crs?: string;
  /** Nodata value of each band (null: none). */
  noData?: (number | null)[];
}

/** Writes a GeoTIFF with GDAL: one array per band, optionally a geotransform, a CRS and band nodata values. */
function writeRaster(name: string, width: number, height: number, bands: Samples[], geo: RasterGeo = {}): string {
  const g = gdal();
  const file = join(dir, name);
  // One nodata value per band needs band-interleaved storage (GDAL's GTiff otherwise keeps one for all).
  const ds = g.open(file, 'w', 'GTiff', width, height, bands.length, TYPES.get(bands[0].constructor)!, geo.noData ? ['INTERLEAVE=BAND'] : undefined);
  if (geo.geoTransform) ds.geoTransform = geo.geoTransform;
  if (geo.epsg) ds.srs = g.SpatialReference.fromEPSG(geo.epsg);
  if (geo.crs) ds.srs = g.SpatialReference.fromUserInput(geo.crs);
  bands.forEach((band, i) => {
    const b = ds.bands.get(i + 1);
    const noData = geo.noData?.[i];
    if (noData !== undefined && noData !== null) b.noDataValue = noData;
    b.pixels.write(0, 0, width, height, band);
  });
  ds.close();
  return file;
}

/** A VRT over band 1 of `source`, with the geotransform and CRS (WKT) given. */
function writeVrt(name: string, width: number, height: number, source: string, dataType: string, geo: { geoTransform?: number[]; wkt?: string } = {}): string {
  const file = join(dir, name);
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const band = `<VRTRasterBand dataType="${dataType}" band="1"><SimpleSource><SourceFilename relativeToVRT="0">${escape(source)}</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand>`;
  const srs = geo.wkt ? `<SRS>${escape(geo.wkt)}</SRS>` : '';
  const gt = geo.geoTransform ? `<GeoTransform>${geo.geoTransform.join(',')}</GeoTransform>` : '';
  writeFileSync(file, `<VRTDataset rasterXSize="${width}" rasterYSize="${height}">${srs}${gt}${band}</VRTDataset>`);
  return file;
}

/** GDAL's in-memory files left behind (inputs given as bytes are opened through /vsimem/). */
function memoryFiles(): string[] {
  try {
    return gdal().fs.readDir('/vsimem/').filter((f) => f.startsWith('lwganet-input-'));
  } catch {
    return []; // GDAL reports an empty /vsimem/ as an error
  }
}

/** File descriptors this process holds open (Linux). */
const openFiles = () => readdirSync('/proc/self/fd').length;

/** The red channel of interleaved RGB. */
const red = (data: Uint8Array) => Array.from(data.filter((_, i) => i % 3 === 0));

describe('what counts as georeferenced', () => {
  it('any geotransform other than GDAL\'s default, even without a CRS; the default without a CRS is none', async () => {
    const bands = [0, 1, 2].map((b) => Uint8Array.from({ length: 12 }, (_, i) => 10 * b + i));
    const plain = await decodeImage(writeRaster('plain.tif', 4, 3, bands));
    expect(plain.geo).toBeNull();
    expect(plain.source.format).toBe('tiff');
    // Each geotransform differs from [0, 1, 0, 0, 0, 1] in one term only.
    for (let k = 0; k < 6; k++) {
      const geoTransform = [0, 1, 0, 0, 0, 1];
      geoTransform[k] = k === 1 || k === 5 ? 2 : 7;
      const image = await decodeImage(writeRaster(`gt${k}.tif`, 4, 3, bands, { geoTransform }));
      expect(image.geo, `geotransform ${geoTransform}`).toMatchObject({ geoTransform, crsWkt: null, epsg: null, window: [0, 0, 4, 3], fullWidth: 4, fullHeight: 3 });
      expect(image.source.format).toBe('geotiff');
    }
  });
});

describe('what counts as georeferenced (formats that report a geotransform even when it is the default)', () => {
  it("a VRT with GDAL's default geotransform is georeferenced only when it has a CRS", async () => {
    const source = writeRaster('vrt-source.f32.tif', 4, 3, [Float32Array.from({ length: 12 }, (_, i) => i)]);
    const DEFAULT = [0, 1, 0, 0, 0, 1];
    const plain = await decodeImage(writeVrt('default-gt.vrt', 4, 3, source, 'Float32', { geoTransform: DEFAULT }), { valueRange: 'minmax' });
    expect(plain.geo).toBeNull();
    expect(plain.source.format).toBe('tiff');
    const wkt = gdal().SpatialReference.fromEPSG(32633).toWKT();
    const withCrs = await decodeImage(writeVrt('default-gt-crs.vrt', 4, 3, source, 'Float32', { geoTransform: DEFAULT, wkt }), { valueRange: 'minmax' });
    expect(withCrs.geo).toMatchObject({ geoTransform: DEFAULT, epsg: 32633 });
    expect(withCrs.source.format).toBe('geotiff');
  });
});

describe('EPSG codes', () => {
  it('only a CRS whose authority is EPSG has an EPSG code: a user-defined CRS and an ESRI CRS have none (their WKT is kept)', async () => {
    const bands = [Uint8Array.from({ length: 12 }, (_, i) => i)];
    const geoTransform = [500000, 10, 0, 4000000, 0, -10];
    const user = await decodeImage(writeRaster('user-crs.tif', 4, 3, bands, { geoTransform, crs: '+proj=tmerc +lat_0=0 +lon_0=15.5 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs' }));
    expect(user.geo?.epsg).toBeNull();
    expect(user.geo?.crsWkt).toMatch(/Transverse_Mercator/);
    // A GeoTIFF does not keep an ESRI authority; a VRT keeps the WKT as written.
    const esriWkt = gdal().SpatialReference.fromUserInput('ESRI:102003').toWKT();
    const esri = await decodeImage(writeVrt('esri.vrt', 4, 3, writeRaster('esri-source.f32.tif', 4, 3, [Float32Array.from({ length: 12 }, (_, i) => i)]), 'Float32', { geoTransform, wkt: esriWkt }));
    expect(esri.geo?.crsWkt).toMatch(/AUTHORITY\["ESRI","102003"\]/);
    expect(esri.geo?.epsg).toBeNull();
    expect((await decodeImage(writeRaster('epsg-crs.tif', 4, 3, bands, { geoTransform, epsg: 32633 }))).geo?.epsg).toBe(32633);
  });
});

describe('rasters without data', () => {
  it('a vector dataset GDAL opens (GeoJSON) is an IMAGE_DECODE error that says so, not a TypeError', async () => {
    const file = join(dir, 'points.geojson');
    writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [1, 2] } }] }));
    await expect(openGdalRaster(file, 'The GeoJSON')).rejects.toMatchObject({
      code: 'IMAGE_DECODE',
      message: 'The GeoJSON could not be decoded: GDAL finds no raster data in it (0 bands)',
    });
  });
});

describe('files and memory GDAL holds', () => {
  it('decoding bytes leaves no in-memory file behind, also when GDAL cannot open them; the error says what and why', async () => {
    const bytes = readFileSync(writeRaster('bytes.tif', 4, 3, [Float32Array.from({ length: 12 }, (_, i) => i)], { geoTransform: [0, 1, 0, 3, 0, -1] }));
    expect((await decodeImage(bytes)).width).toBe(4);
    expect(memoryFiles()).toEqual([]);
    // TIFF magic, then nothing GDAL can read.
    const broken = Uint8Array.from([0x49, 0x49, 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const error = (await decodeImage(broken).catch((e: unknown) => e)) as Error & { code?: string };
    expect(error).toMatchObject({ code: 'IMAGE_DECODE', message: expect.stringMatching(/^Image buffer could not be decoded: ./) });
    expect(error.cause).toBeInstanceOf(Error);
    expect(memoryFiles()).toEqual([]);
    const path = join(dir, 'broken.tif');
    writeFileSync(path, broken);
    await expect(decodeImage(path)).rejects.toMatchObject({ code: 'IMAGE_DECODE', message: expect.stringMatching(/^Image ".*broken\.tif" could not be decoded: ./) });
  });

  it('decodes and band sources close every file they open (no descriptor left per image)', async () => {
    const file = writeRaster('descriptors.tif', 8, 6, [Float32Array.from({ length: 48 }, (_, i) => i)], { geoTransform: [0, 1, 0, 6, 0, -1] });
    await decodeImage(file); // GDAL opens its own support files once
    await (await openBandSource(file)).read(0, 6);
    const before = openFiles();
    for (let i = 0; i < 5; i++) {
      await decodeImage(file);
      await decodeImage(file, {}, () => [4, 3]);
      const source = await openBandSource(file);
      await source.read(0, 3);
      await source.readWindow(1, 1, 5, 5);
    }
    expect(openFiles()).toBe(before);
  });
});

describe('value ranges', () => {
  // The type's extremes, then 28 samples of the middle value: the percentile stretch would map
  // the middle value to 0 (its 2–98 % range is that value alone), the type range to 128.
  const samples = (min: number, max: number, middle: number) => [min, max, ...Array<number>(28).fill(middle)];
  it.each([
    ['Int16', Int16Array.from(samples(-32768, 32767, 0))],
    ['UInt32', Uint32Array.from(samples(0, 2 ** 32 - 1, 2 ** 31))],
    ['Int32', Int32Array.from(samples(-(2 ** 31), 2 ** 31 - 1, 0))],
  ])("'dtype' maps the full %s range onto 0..255", async (name, band) => {
    const image = await decodeImage(writeRaster(`${name}.tif`, 30, 1, [band]), { valueRange: 'dtype' });
    expect(image.source.bitsPerSample).toBe(Number(/\d+/.exec(name)![0]));
    expect(red(image.data)).toEqual([0, 255, ...Array<number>(28).fill(128)]);
  });

  it("percentile: the 2nd and 98th percentiles of the valid samples map to 0 and 255 (also for 'dtype' on float bands, which have no type range)", async () => {
    // 0..125: the percentiles sit at sorted positions round(0.02·125) = round(2.5) = 3 and
    // round(0.98·125) = round(122.5) = 123, so 3 → 0 and 123 → 255 (255 / 120 = 2.125 per step).
    const ramp = Float32Array.from({ length: 126 }, (_, i) => i);
    const file = writeRaster('ramp.tif', 126, 1, [ramp]);
    const expected = Array.from(ramp, (v) => Math.min(255, Math.max(0, Math.round((v - 3) * 2.125))));
    expect(red((await decodeImage(file)).data)).toEqual(expected);
    expect(red((await decodeImage(file, { valueRange: 'dtype' })).data)).toEqual(expected);
    expect(red((await decodeImage(file, { valueRange: 'minmax' })).data)).toEqual(Array.from(ramp, (v) => Math.round(v * (255 / 125))));
  });

  it('infinite samples are nodata like NaN, and left out of the statistics', async () => {
    const band = Float32Array.from([1, Infinity, -Infinity, Number.NaN, 5, 3]);
    for (const valueRange of ['minmax', 'percentile'] as const) {
      const image = await decodeImage(writeRaster(`inf-${valueRange}.tif`, 6, 1, [band]), { valueRange });
      expect(Array.from(image.nodata ?? []), valueRange).toEqual([0, 1, 1, 1, 0, 0]);
      // lo 1, hi 5: 3 → round(2 · 255 / 4) = 128; nodata pixels are 0.
      expect(red(image.data), valueRange).toEqual([0, 0, 0, 0, 255, 128]);
    }
  });
});

describe('value ranges: defaults per type, nodata and rounding', () => {
  const GT = [0, 1, 0, 1, 0, -1];

  it("a georeferenced UInt16 band is stretched by percentiles by default; 'minmax' stretches a Byte band too", async () => {
    // 0, 100, ..., 4900: percentiles at sorted positions round(0.98) = 1 and round(48.02) = 48.
    const uint16 = await decodeImage(writeRaster('u16.tif', 50, 1, [Uint16Array.from({ length: 50 }, (_, i) => 100 * i)], { geoTransform: GT }));
    expect(red(uint16.data).slice(0, 3)).toEqual([0, 0, Math.round(100 * (255 / 4700))]);
    expect(red(uint16.data)[48]).toBe(255);
    const byte = await decodeImage(writeRaster('byte-minmax.tif', 3, 1, [Uint8Array.from([10, 15, 20])], { geoTransform: GT }), { valueRange: 'minmax' });
    expect(red(byte.data)).toEqual([0, 128, 255]);
  });

  it('pixels at the band nodata value are flagged, black, and left out of the percentile and min–max statistics', async () => {
    const band = Float32Array.from([-9999, 10, 20, 30, 40, -9999]);
    for (const valueRange of ['minmax', 'percentile'] as const) {
      const image = await decodeImage(writeRaster(`nodata-${valueRange}.tif`, 6, 1, [band], { geoTransform: GT, noData: [-9999] }), { valueRange });
      expect(Array.from(image.nodata ?? []), valueRange).toEqual([1, 0, 0, 0, 0, 1]);
      // 10 → 0 and 40 → 255 (with -9999 in the statistics 10..40 would all map near 255).
      expect(red(image.data), valueRange).toEqual([0, 0, 85, 170, 255, 0]);
      expect(image.geo?.noData).toBe(-9999);
    }
  });

  it('a pixel that is nodata in one band is black in all three (band nodata values differ per band)', async () => {
    const bands = [Uint8Array.from([1, 2, 3, 4]), Uint8Array.from([7, 5, 6, 7]), Uint8Array.from([9, 9, 9, 9])];
    const image = await decodeImage(writeRaster('band-nodata.tif', 4, 1, bands, { geoTransform: GT, noData: [null, 7, null] }));
    expect(Array.from(image.nodata ?? [])).toEqual([1, 0, 0, 1]);
    expect(Array.from(image.data)).toEqual([0, 0, 0, 2, 5, 9, 3, 6, 9, 0, 0, 0]);
  });

  it('a constant band with outliers: percentiles equal, so the range is [p, p + 1] (background black, outliers white)', async () => {
    const band = Float32Array.from({ length: 61 }, (_, i) => (i === 30 ? 9 : 5));
    const image = await decodeImage(writeRaster('constant.tif', 61, 1, [band], { geoTransform: GT }));
    expect(red(image.data)[30]).toBe(255);
    expect(red(image.data).filter((v) => v !== 0)).toEqual([255]);
  });

  it('statistics come from a reduced read (at most 1024 pixels on the long side), from the overview when there is one', async () => {
    // 2048 × 2 at full resolution: a ramp 0..2047 per row. Its 2× overview (1024 × 1) is
    // rewritten to 1000..2023, so the percentiles show which one was read: sorted positions
    // round(0.02·1023) = 20 and round(0.98·1023) = 1003, i.e. 1020 → 0 and 2003 → 255.
    const file = join(dir, 'overview-stats.tif');
    const ds = gdal().open(file, 'w', 'GTiff', 2048, 2, 1, 'Float32');
    ds.geoTransform = [0, 1, 0, 2, 0, -1];
    ds.bands.get(1).pixels.write(0, 0, 2048, 2, Float32Array.from({ length: 4096 }, (_, i) => i % 2048));
    ds.buildOverviews('NEAREST', [2]);
    ds.bands.get(1).overviews.get(0).pixels.write(0, 0, 1024, 1, Float32Array.from({ length: 1024 }, (_, j) => 1000 + j));
    ds.close();
    const row = red((await decodeImage(file, { window: [0, 0, 2048, 1] })).data);
    expect([row[1019], row[1020], row[1500], row[2003], row[2004]]).toEqual([0, 0, Math.round(480 * (255 / 983)), 255, 255]);
  });

  it('a band GDAL cannot read (strips cut off) is an IMAGE_DECODE error naming the image, with GDAL\'s error as cause', async () => {
    const full = readFileSync(writeRaster('whole.f32.tif', 64, 64, [new Float32Array(4096).fill(1)], { geoTransform: [0, 1, 0, 64, 0, -1] }));
    const file = join(dir, 'cut.tif');
    writeFileSync(file, full.subarray(0, 2000)); // the header and directory, not the strips
    const error = (await decodeImage(file, { valueRange: [0, 1] }).catch((e: unknown) => e)) as Error & { code?: string };
    expect(error).toMatchObject({ code: 'IMAGE_DECODE', message: expect.stringMatching(/^Image ".*cut\.tif" could not be decoded: .*IReadBlock failed/) });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('float samples under an explicit [0, 255] round to the nearest level like any other range', async () => {
    const image = await decodeImage(writeRaster('float-255.tif', 4, 1, [Float32Array.from([1.4, 1.6, 254.5, 300])], { geoTransform: GT }), { valueRange: [0, 255] });
    expect(red(image.data)).toEqual([1, 2, 255, 255]);
  });
});

describe('option checks', () => {
  it('bands: three integer indices inside the raster; valueRange: two finite numbers, min < max', async () => {
    const bands = [0, 1, 2].map((b) => Uint8Array.from({ length: 12 }, (_, i) => 10 * b + i));
    const file = writeRaster('options.tif', 4, 3, bands, { geoTransform: [0, 1, 0, 3, 0, -1], epsg: 32633 });
    for (const bad of [[0, 1], [0, 1.5, 2], 'rgb']) await expect(decodeImage(file, { bands: bad as never }), JSON.stringify(bad)).rejects.toThrow(new TypeError(`Expected an array of 3 band indices for bands but received ${bad === 'rgb' ? '"rgb" of type string' : `an array of length ${(bad as number[]).length} of type object`}`));
    for (const bad of [[-1, 0, 1], [0, 1, 3]] as const) await expect(decodeImage(file, { bands: bad })).rejects.toThrow(new RangeError('Expected band indices in 0..2 for bands but received an array of length 3 of type object'));
    for (const bad of [[0, 10, 20], [Number.NaN, 5], [0, Infinity], [6, 5]]) await expect(decodeImage(file, { valueRange: bad as never }), JSON.stringify(bad)).rejects.toThrow(new RangeError(`Expected [min, max] with min < max for valueRange but received an array of length ${bad.length} of type object`));
    await expect(decodeImage(file, { valueRange: 'fast' as never })).rejects.toThrow(new TypeError(`Expected 'dtype', 'minmax', 'percentile' or [min, max] for valueRange but received "fast" of type string`));
    expect(red((await decodeImage(file, { bands: [2, 2, 2] })).data)).toEqual(Array.from(bands[2]));
    expect(Array.from((await decodeImage(file, { bands: [0, 1, 2] })).data)).toEqual(Array.from({ length: 36 }, (_, i) => bands[i % 3][Math.floor(i / 3)]));
  });
});

describe('reduced reads', () => {
  it('a whole raster read into a smaller buffer scales every geotransform term by its axis (rotated grid)', async () => {
    const bands = [0, 1, 2].map((b) => Uint8Array.from({ length: 48 }, (_, i) => (7 * i + b) % 256));
    const file = writeRaster('rotated.tif', 8, 6, bands, { geoTransform: [1000, 4, 0.5, 2000, -0.25, -4], epsg: 32633 });
    // 8 × 6 read as 4 × 2: columns 2 pixels wide, rows 3 pixels high.
    const image = await decodeImage(file, {}, () => [4, 2]);
    expect([image.width, image.height]).toEqual([4, 2]);
    expect(image.geo?.geoTransform).toEqual([1000, 8, 1.5, 2000, -0.5, -12]);
    // Nearest neighbour: output pixel (x, y) is source pixel (2x + 1, 3y + 1).
    expect(red(image.data)).toEqual(Array.from({ length: 8 }, (_, i) => bands[0][(3 * Math.floor(i / 4) + 1) * 8 + 2 * (i % 4) + 1]));
    // Only a target smaller on both sides reduces the read (the same size on one side is not);
    // sides round to whole pixels, at least 1.
    for (const target of [[4, 10], [10, 3], [8, 3], [4, 6]] as const) {
      const full = await decodeImage(file, {}, () => target);
      expect([full.width, full.height], `target ${target}`).toEqual([8, 6]);
    }
    const tiny = await decodeImage(file, {}, () => [0.4, 2.6]);
    expect([tiny.width, tiny.height]).toEqual([1, 3]);
    const rounded = await decodeImage(file, {}, () => [1.6, 0.4]);
    expect([rounded.width, rounded.height]).toEqual([2, 1]);
    // A window is read at full resolution whatever the caller would downsample to.
    const window = await decodeImage(file, { window: [2, 1, 6, 5] }, () => [2, 2]);
    expect([window.width, window.height]).toEqual([4, 4]);
  });
});

describe('reduced reads of rasters without georeferencing', () => {
  it('keep geo null and the format a plain TIFF', async () => {
    const file = writeRaster('plain-float.tif', 8, 6, [Float32Array.from({ length: 48 }, (_, i) => i)]);
    const image = await decodeImage(file, {}, () => [4, 3]);
    expect([image.width, image.height, image.data.length]).toEqual([4, 3, 36]);
    expect(image.geo).toBeNull();
    expect(image.source).toEqual({ format: 'tiff', channels: 1, bitsPerSample: 32 });
  });
});

describe('windows', () => {
  const bands = [0, 1, 2].map((b) => Uint8Array.from({ length: 48 }, (_, i) => (i + b) % 256));
  const file = () => writeRaster('windows.tif', 8, 6, bands, { geoTransform: [0, 1, 0, 6, 0, -1] });

  it('must be 4 integers: [left, top, right, bottom]', async () => {
    const path = file();
    for (const bad of [[0, 0, 4.5, 4], [0, 0, 4], '0,0,4,4']) {
      await expect(decodeImage(path, { window: bad as never }), JSON.stringify(bad)).rejects.toThrow(new TypeError(`Expected an array of 4 integers [left, top, right, bottom] for window but received ${typeof bad === 'string' ? '"0,0,4,4" of type string' : `an array of length ${bad.length} of type object`}`));
    }
  });

  it('must be non-empty and inside the raster: each side checked', async () => {
    const path = file();
    for (const bad of [[-1, 0, 4, 4], [0, -1, 4, 4], [0, 0, 9, 4], [0, 0, 4, 7], [4, 0, 4, 4], [5, 0, 4, 4], [0, 4, 4, 4], [0, 4, 4, 3]]) {
      await expect(decodeImage(path, { window: bad as never }), JSON.stringify(bad)).rejects.toThrow(new RangeError('Expected a non-empty window inside the 8×6 raster for window but received an array of length 4 of type object'));
    }
    const whole = await decodeImage(path, { window: [0, 0, 8, 6] });
    expect([whole.width, whole.height]).toEqual([8, 6]);
  });
});

describe('pixel limits', () => {
  it('apply to the window read, and the message says it was the window', async () => {
    const bands = [0, 1, 2].map((b) => Uint8Array.from({ length: 48 }, (_, i) => (i + b) % 256));
    const file = writeRaster('limits.tif', 8, 6, bands, { geoTransform: [0, 1, 0, 6, 0, -1], epsg: 32633 });
    await expect(decodeImage(file, { maxPixels: 12, window: [0, 0, 4, 4] })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: expect.stringMatching(/^The window of .*limits\.tif.* is too large: 4×4 = 16 pixels exceeds the limit of 12/),
    });
    expect((await decodeImage(file, { maxPixels: 12, window: [0, 0, 4, 3] })).width).toBe(4);
    // The window's own size counts, wherever it is.
    expect((await decodeImage(file, { maxPixels: 12, window: [4, 3, 8, 6] })).width).toBe(4);
  });
});

describe('band sources', () => {
  it('read a georeferenced raster by windows: rows and windows equal the whole decode, nodata flags accumulate', async () => {
    const band = Float32Array.from({ length: 48 }, (_, i) => (i % 7 === 3 ? Number.NaN : i));
    const file = writeRaster('source.tif', 8, 6, [band], { geoTransform: [0, 1, 0, 6, 0, -1], epsg: 32633 });
    const whole = await decodeImage(file, { valueRange: 'minmax' });
    const source = await openBandSource(file, { valueRange: 'minmax' });
    expect(source.windowed).toBe(true);
    expect(source.geo?.geoTransform).toEqual([0, 1, 0, 6, 0, -1]);
    expect(source.nodataMask()).toBeNull();
    expect(Array.from(await source.read(0, 2))).toEqual(Array.from(whole.data.subarray(0, 2 * 8 * 3)));
    const window = await source.readWindow(3, 2, 7, 6);
    const expected: number[] = [];
    for (let y = 2; y < 6; y++) expected.push(...whole.data.subarray((y * 8 + 3) * 3, (y * 8 + 7) * 3));
    expect(Array.from(window)).toEqual(expected);
    // Flags of rows 0–1 and of the window only, at their places in the whole image.
    const flags = Array.from({ length: 48 }, (_, i) => (whole.nodata![i] && (i < 16 || (i % 8 >= 3 && i % 8 < 7 && i >= 16)) ? 1 : 0));
    expect(Array.from(source.nodataMask()!)).toEqual(flags);
  });

  it('take a plain (not georeferenced) 8-bit TIFF whole, and reject a window option and bad windows', async () => {
    const bands = [0, 1, 2].map((b) => Uint8Array.from({ length: 12 }, (_, i) => 10 * b + i));
    const file = writeRaster('plain-source.tif', 4, 3, bands);
    const source = await openBandSource(file);
    expect(source.windowed).toBe(false);
    const whole = (await decodeImage(file)).data;
    expect(Array.from(await source.read(0, 3))).toEqual(Array.from(whole));
    expect(Array.from(await source.read(1, 3))).toEqual(Array.from(whole.subarray(4 * 3, 12 * 3)));
    // Columns 1–2 of rows 1–2.
    expect(Array.from(await source.readWindow(1, 1, 3, 3))).toEqual([5, 6, 9, 10].flatMap((p) => Array.from(whole.subarray(p * 3, p * 3 + 3))));
    expect(source.nodataMask()).toBeNull();
    await expect(openBandSource(file, null as never)).rejects.toThrow(TypeError);
    await expect(openBandSource(file, { window: [0, 0, 2, 2] })).rejects.toThrow(/no window \(tiled inference reads the whole image\)/);
    const geo = await openBandSource(writeRaster('geo-source.tif', 4, 3, bands, { geoTransform: [0, 1, 0, 3, 0, -1] }));
    await expect(geo.readWindow(0, 0, 5, 3)).rejects.toThrow(RangeError);
    await expect(openBandSource(writeRaster('geo-small.tif', 4, 3, bands, { geoTransform: [0, 1, 0, 3, 0, -1] }), { maxPixels: 6 }).then((s) => s.read(0, 3))).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
  });
});

describe('band sources: which inputs are read by windows', () => {
  const geoTransform = [0, 1, 0, 6, 0, -1];
  const byteBands = (n: number) => Array.from({ length: n }, (_, b) => Uint8Array.from({ length: 48 }, (_, i) => (3 * i + b) % 256));

  it('a georeferenced source reports the whole raster: geotransform, window, size and the band nodata value', async () => {
    const source = await openBandSource(writeRaster('source-geo.tif', 8, 6, byteBands(3), { geoTransform, epsg: 32633, noData: [0, 0, 0] }));
    expect(source.windowed).toBe(true);
    expect(source.geo).toMatchObject({ geoTransform, epsg: 32633, window: [0, 0, 8, 6], fullWidth: 8, fullHeight: 6, noData: 0 });
  });

  it('plain TIFFs: more than 4 bands or a type beyond Byte/UInt16 are read by windows, 4 Byte bands or UInt16 whole', async () => {
    expect((await openBandSource(writeRaster('five-bands.tif', 8, 6, byteBands(5)))).windowed).toBe(true);
    expect((await openBandSource(writeRaster('four-bands.tif', 8, 6, byteBands(4)))).windowed).toBe(false);
    expect((await openBandSource(writeRaster('plain-u16.tif', 8, 6, [Uint16Array.from({ length: 48 }, (_, i) => 1000 * i)]))).windowed).toBe(false);
    expect((await openBandSource(writeRaster('plain-i16.tif', 8, 6, [Int16Array.from({ length: 48 }, (_, i) => 100 * i)]))).windowed).toBe(true);
  });

  it('a VRT (sniffed as neither image format) is read by windows; bytes are decoded whole', async () => {
    const tif = writeRaster('vrt-target.f32.tif', 8, 6, [Float32Array.from({ length: 48 }, (_, i) => i)], { geoTransform });
    expect((await openBandSource(writeVrt('source.vrt', 8, 6, tif, 'Float32', { geoTransform }))).windowed).toBe(true);
    const fromBytes = await openBandSource(readFileSync(tif));
    expect(fromBytes.windowed).toBe(false);
    expect(Array.from(await fromBytes.read(0, 6))).toEqual(Array.from((await decodeImage(tif)).data));
  });

  it('inputs no reader takes fail as decodeImage fails on them (missing file, a GeoJSON, an empty path)', async () => {
    const geojson = join(dir, 'source.geojson');
    writeFileSync(geojson, JSON.stringify({ type: 'FeatureCollection', features: [] }));
    for (const input of [join(dir, 'missing.tif'), geojson, '']) {
      const expected = await decodeImage(input).catch((e: Error) => e);
      expect(expected, input).toBeInstanceOf(Error);
      await expect(openBandSource(input), input).rejects.toThrow(expected as Error);
    }
  });

  it('decode options: an object without a window (exact messages)', async () => {
    const file = writeRaster('source-options.tif', 8, 6, byteBands(3), { geoTransform });
    await expect(openBandSource(file, null as never)).rejects.toThrow(new TypeError('Expected an object for decode but received null of type object'));
    await expect(openBandSource(file, 'fast' as never)).rejects.toThrow(new TypeError('Expected an object for decode but received "fast" of type string'));
    await expect(openBandSource(file, { window: [0, 0, 2, 2] })).rejects.toThrow(new RangeError('Expected no window (tiled inference reads the whole image) for decode.window but received an array of length 4 of type object'));
  });

  it('maxPixels bounds each window by its own size, wherever it is, and the message names the window', async () => {
    const file = writeRaster('source-limits.tif', 8, 6, byteBands(3), { geoTransform });
    const source = await openBandSource(file, { maxPixels: 16 });
    expect((await source.readWindow(4, 2, 8, 6)).length).toBe(16 * 3);
    await expect(source.readWindow(2, 0, 8, 6)).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: expect.stringMatching(/^The window of Image ".*source-limits\.tif" is too large: 6×6 = 36 pixels exceeds the limit of 16/),
    });
  });

  it('a whole-decoded source crops windows that end above the last row', async () => {
    const bands = byteBands(3);
    const source = await openBandSource(writeRaster('plain-crop.tif', 8, 6, bands));
    expect(source.windowed).toBe(false);
    const expected = [1, 2, 9, 10].flatMap((p) => [bands[0][p], bands[1][p], bands[2][p]]);
    expect(Array.from(await source.readWindow(1, 0, 3, 2))).toEqual(expected);
  });
});

describe('nodata in task outputs', () => {
  it('flagged pixels get 255 in the mask and NaN in every map; nothing flagged (or no flags) changes nothing', () => {
    const mask = Uint8Array.from([1, 2, 3, 4]);
    const maps = [Float32Array.from([0.1, 0.2, 0.3, 0.4]), Float32Array.from([1, 2, 3, 4])];
    expect(applyNodata(Uint8Array.from([0, 1, 0, 1]), mask, maps)).toBe(MASK_NODATA);
    expect(MASK_NODATA).toBe(255);
    expect(Array.from(mask)).toEqual([1, 255, 3, 255]);
    expect(maps.map((m) => Array.from(m, (v) => (Number.isNaN(v) ? 'NaN' : v)))).toEqual([[Math.fround(0.1), 'NaN', Math.fround(0.3), 'NaN'], [1, 'NaN', 3, 'NaN']]);
    const untouched = Uint8Array.from([5, 6]);
    expect(applyNodata(Uint8Array.from([0, 0]), untouched)).toBeNull();
    expect(applyNodata(null, untouched, [Float32Array.from([1, 2])])).toBeNull();
    expect(Array.from(untouched)).toEqual([5, 6]);
    // Without maps, only the mask changes.
    const alone = Uint8Array.from([5, 6]);
    expect(applyNodata(Uint8Array.from([1, 0]), alone)).toBe(MASK_NODATA);
    expect(Array.from(alone)).toEqual([255, 6]);
  });
});
