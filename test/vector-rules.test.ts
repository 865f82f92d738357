// The vector writers' rules, read back in process with OGR (vector-output.test.ts checks the
// same files with independent readers): format and CRS choice, field types, the `crs` member of
// GeoJSON files, ring orientation, a CRS whose authority puts northing first, CRS names, and
// areas on a sphere and with holes worked out by hand.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpatialReference } from 'gdal-async';
import { afterAll, describe, expect, it } from 'vitest';
import { corners } from '../lib/detection/rotated-box.js';
import { classAreas, pixelAreaM2 } from '../lib/geo/area.js';
import { crsName, lonLatReference, spatialReferenceOf } from '../lib/geo/crs.js';
import { gdal } from '../lib/geo/gdal.js';
import type { GeoInfo, GeoTransform } from '../lib/image/types.js';
import { detectionsGeoJson } from '../lib/output/detections-geojson.js';
import { writeDetectionsVector } from '../lib/output/detections-vector.js';
import { writeMaskVector } from '../lib/output/mask-vector.js';
import { pixelReference, vectorCrsFor, vectorFormatFor } from '../lib/output/vector-file.js';
import type { DetectionResult } from '../lib/tasks/detection.js';
import { tempDir } from './helpers/image-fixtures.js';

const { dir, cleanup } = tempDir('lwganet-vector-rules-');
afterAll(() => cleanup());
const path = (name: string) => join(dir, name);

function geoInfo(geoTransform: GeoTransform, epsg: number | null, crsWkt: string | null = null): GeoInfo {
  return { geoTransform, epsg, crsWkt, window: [0, 0, 100, 80], fullWidth: 100, fullHeight: 80, noData: null };
}

const UTM = geoInfo([500000, 2, 0.5, 5540000, -0.25, -2], 32631);
const BOXES = [
  { cx: 10, cy: 20, w: 8, h: 4, angle: 0, score: 0.9, label: 'plane', index: 0 },
  { cx: 50, cy: 50, w: 20, h: 10, angle: Math.PI / 6, score: 0.125, label: 'small vehicle', index: 10 },
];

function detections(geo: GeoInfo | null): DetectionResult {
  return {
    width: 100, height: 80, labels: ['plane', 'small vehicle'], palette: [[255, 0, 0]], geo,
    detections: BOXES.map((b) => ({ ...b, polygon: corners(b) })),
    tiling: { tileSize: 1024, overlap: 200, tiles: 1 }, scoreThreshold: 0.05, iouThreshold: 0.1,
  };
}

interface Read { srs: SpatialReference | null; types: Record<string, string>; features: Array<{ properties: Record<string, unknown>; ring: number[][]; rings: number[][][] }> }

function readLayer(file: string): Read {
  const ds = gdal().open(file);
  try {
    const layer = ds.layers.get(0);
    const types = Object.fromEntries(layer.fields.getNames().map((name) => [name, layer.fields.get(name).type]));
    const features = [...layer.features].map((f) => {
      const rings = (f.getGeometry()!.toObject() as { coordinates: number[][][] }).coordinates;
      return { properties: f.fields.toObject() as Record<string, unknown>, ring: rings[0], rings };
    });
    return { srs: layer.srs ? layer.srs.clone() : null, types, features };
  } finally {
    ds.close();
  }
}

/** Signed shoelace area (positive: counter-clockwise with y up). */
function signedArea(ring: number[][]): number {
  let s = 0;
  for (let i = 0; i + 1 < ring.length; i++) s += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return s / 2;
}

describe('format and CRS choice', () => {
  it('formats from the extension in any case, or given; CRS defaults per format; bad values are RangeErrors', () => {
    expect(['a.GPKG', 'b.json', 'c.FGB', 'd.GeoJSON'].map((f) => vectorFormatFor(f))).toEqual(['gpkg', 'geojson', 'fgb', 'geojson']);
    expect(vectorFormatFor('boxes.txt', 'fgb')).toBe('fgb');
    expect(() => vectorFormatFor('boxes.gpkg', 'shp' as never)).toThrow(new RangeError('Expected "geojson", "gpkg" or "fgb" for vector format but received "shp" of type string'));
    expect(() => vectorFormatFor('boxes.shp')).toThrow(RangeError);
    expect([vectorCrsFor('geojson'), vectorCrsFor('gpkg'), vectorCrsFor('fgb'), vectorCrsFor('gpkg', 'wgs84'), vectorCrsFor('geojson', 'native')]).toEqual(['wgs84', 'native', 'native', 'wgs84', 'native']);
    expect(() => vectorCrsFor('gpkg', 'utm' as never)).toThrow(new RangeError('Expected "wgs84" or "native" for crs but received "utm" of type string'));
  });

  it('writers return what they wrote; without georeferencing the CRS is always the pixel one', async () => {
    expect(await writeDetectionsVector(path('r1.geojson'), detections(UTM))).toEqual({ format: 'geojson', crs: 'wgs84' });
    expect(await writeDetectionsVector(path('r2.gpkg'), detections(UTM))).toEqual({ format: 'gpkg', crs: 'native' });
    expect(await writeDetectionsVector(path('r3.fgb'), detections(UTM), { crs: 'wgs84' })).toEqual({ format: 'fgb', crs: 'wgs84' });
    expect(await writeDetectionsVector(path('r4.geojson'), detections(null), { crs: 'wgs84' })).toEqual({ format: 'geojson', crs: 'native' });
    expect(readLayer(path('r4.geojson')).srs?.toWKT()).toMatch(/image pixels/);
  });
});

describe('failed writes', () => {
  it('leave neither a file nor its temporary file', async () => {
    // The final name is taken by a directory: the rename at the end fails.
    const taken = path('taken.gpkg');
    mkdirSync(taken);
    await expect(writeDetectionsVector(taken, detections(UTM))).rejects.toThrow();
    expect(readdirSync(dir).filter((name) => name.startsWith('.taken.gpkg.'))).toEqual([]);
    expect(readdirSync(taken)).toEqual([]);
  });
});

describe('detection features', () => {
  it('index is an integer field, score/area/box reals, label a string; every box property is written', async () => {
    await writeDetectionsVector(path('fields.gpkg'), detections(UTM));
    const read = readLayer(path('fields.gpkg'));
    expect(read.types.label).toBe('string');
    expect(read.types.index).toMatch(/^integer/);
    for (const name of ['score', 'area', 'cx', 'cy', 'w', 'h', 'angle']) expect(read.types[name], name).toBe('real');
    read.features.forEach((f, i) => {
      const { cx, cy, w, h, angle, score, label, index } = BOXES[i];
      expect(f.properties).toMatchObject({ cx, cy, w, h, angle, score, label, index });
      // Pixels of |2·(−2) − 0.5·(−0.25)| = 3.875 m² each.
      expect(f.properties.area).toBeCloseTo(w * h * 3.875, 6);
    });
  });

  it('rings are counter-clockwise in the written coordinates, y up (UTM) and y down (pixels)', async () => {
    await writeDetectionsVector(path('ccw-utm.gpkg'), detections(UTM));
    await writeDetectionsVector(path('ccw-pixel.gpkg'), detections(null));
    for (const f of readLayer(path('ccw-utm.gpkg')).features) expect(signedArea(f.ring)).toBeGreaterThan(0);
    for (const f of readLayer(path('ccw-pixel.gpkg')).features) expect(signedArea(f.ring)).toBeGreaterThan(0);
  });

  it('GeoPackage in WGS 84 is EPSG:4326 with the RFC 7946 GeoJSON\'s longitude/latitude', async () => {
    await writeDetectionsVector(path('wgs.gpkg'), detections(UTM), { crs: 'wgs84' });
    await writeDetectionsVector(path('wgs.geojson'), detections(UTM));
    const gpkg = readLayer(path('wgs.gpkg'));
    expect(gpkg.srs?.getAuthorityCode(null)).toBe('4326');
    const json = JSON.parse(readFileSync(path('wgs.geojson'), 'utf8'));
    gpkg.features.forEach((f, i) => f.ring.forEach(([x, y], k) => {
      const [lon, lat] = json.features[i].geometry.coordinates[0][k];
      expect(Math.abs(x - lon) + Math.abs(y - lat), `box ${i} point ${k}`).toBeLessThan(2e-7);
    }));
    // UTM zone 31N around easting 500 km: longitude about 3° E, latitude about 50° N.
    const [lon, lat] = json.features[0].geometry.coordinates[0][0];
    expect(lon).toBeGreaterThan(2.9);
    expect(lon).toBeLessThan(3.1);
    expect(lat).toBeGreaterThan(49.9);
    expect(lat).toBeLessThan(50.1);
  });

  it('a CRS whose authority puts northing first (EPSG:31467) lands where it should in WGS 84', async () => {
    // Gauss–Krüger zone 3: easting 3 500 100 m is 100 m east of 9° E, northing 5 499 800 m about 49.63° N.
    const gk = geoInfo([3500000, 10, 0, 5500000, 0, -10], 31467);
    await writeDetectionsVector(path('gk.geojson'), detections(gk));
    const [lon, lat] = JSON.parse(readFileSync(path('gk.geojson'), 'utf8')).features[0].geometry.coordinates[0][0];
    expect(lon).toBeGreaterThan(8.95);
    expect(lon).toBeLessThan(9.05);
    expect(lat).toBeGreaterThan(49.55);
    expect(lat).toBeLessThan(49.72);
  });
});

describe('the crs member of GeoJSON files', () => {
  it('native: OGR\'s EPSG URN is kept; RFC 7946: no crs member and at most 7 decimals; pixels: the engineering CRS\'s WKT', async () => {
    await writeDetectionsVector(path('native.geojson'), detections(UTM), { crs: 'native' });
    await writeDetectionsVector(path('rfc.geojson'), detections(UTM));
    await writeDetectionsVector(path('pixel.geojson'), detections(null));
    const native = JSON.parse(readFileSync(path('native.geojson'), 'utf8'));
    expect(native.crs.properties.name).toMatch(/EPSG::32631$/);
    const rfcText = readFileSync(path('rfc.geojson'), 'utf8');
    expect(JSON.parse(rfcText).crs).toBeUndefined();
    const decimals = (v: number) => (String(v).split('.')[1] ?? '').length;
    const rfc = JSON.parse(rfcText);
    for (const feature of rfc.features) for (const [x, y] of feature.geometry.coordinates[0]) expect(Math.max(decimals(x), decimals(y))).toBeLessThanOrEqual(7);
    const pixel = JSON.parse(readFileSync(path('pixel.geojson'), 'utf8'));
    expect(Object.keys(pixel).slice(0, 2)).toEqual(['type', 'crs']);
    expect(pixel.crs).toEqual({ type: 'name', properties: { name: pixelReference().toWKT() } });
  });

  it('the in-memory document: properties in pixels, and a CRS without EPSG code named by its WKT', () => {
    const pixel = detectionsGeoJson(detections(null)) as any;
    expect(pixel.properties).toEqual({
      coordinateSpace: 'pixel', epsg: null, geoTransform: null, width: 100, height: 80, labels: ['plane', 'small vehicle'],
      angleConvention: 'le90', scoreThreshold: 0.05, iouThreshold: 0.1,
    });
    const wkt = pixelReference().toWKT();
    const custom = detectionsGeoJson(detections(geoInfo([0, 1, 0, 0, 0, -1], null, wkt))) as any;
    expect(custom.crs).toEqual({ type: 'name', properties: { name: wkt } });
    expect(custom.properties).toMatchObject({ coordinateSpace: 'crs', epsg: null });
    expect(detectionsGeoJson(detections(geoInfo([0, 1, 0, 0, 0, -1], null, ''))).crs).toBeUndefined();
  });
});

describe('CRS names', () => {
  const GEOGCS = 'GEOGCS["My geographic",DATUM["My datum",SPHEROID["GRS 1980",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]';
  const PROJCS = `PROJCS["My grid",${GEOGCS},PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",10],PARAMETER["central_meridian",7.3],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]`;

  it('EPSG code when there is one, else the projected or geographic CRS\'s own name, else "user-defined CRS"', () => {
    const g = gdal();
    expect(crsName(g.SpatialReference.fromEPSG(32631))).toBe('EPSG:32631');
    expect(crsName(g.SpatialReference.fromWKT(PROJCS))).toBe('My grid');
    expect(crsName(g.SpatialReference.fromWKT(GEOGCS))).toBe('My geographic');
    expect(crsName(pixelReference())).toBe('user-defined CRS');
  });
});

describe('areas worked out by hand', () => {
  // A sphere of radius R: the band between latitudes φ1 and φ2 over Δλ has area R²·Δλ·(sin φ2 − sin φ1).
  const R = 6371000;
  const SPHERE = 'GEOGCS["Sphere",DATUM["Sphere",SPHEROID["Sphere",6371000,0]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]';
  const deg = Math.PI / 180;
  const band = (lat1: number, lat2: number) => R * R * deg * (Math.sin(lat2 * deg) - Math.sin(lat1 * deg));

  it('on a sphere: pixel areas and class areas per row of 1° pixels', () => {
    // Rows from 2° N down to 0°: row 0 spans 1°–2°, row 1 spans 0°–1°.
    const geo = geoInfo([10, 1, 0, 2, 0, -1], null, SPHERE);
    expect(pixelAreaM2(geo, 1, 2)! / ((band(0, 1) + band(1, 2)) / 2) - 1).toBeCloseTo(0, 12);
    // Class 1 in row 0, class 0 in row 1; 3 (= classes) and the skipped value 2 count nowhere.
    const areas = classAreas(Uint8Array.from([1, 3, 0, 2]), 2, 2, 3, geo, 2)!;
    expect(areas).toHaveLength(3);
    expect(areas[0] / band(0, 1) - 1).toBeCloseTo(0, 12);
    expect(areas[1] / band(1, 2) - 1).toBeCloseTo(0, 12);
    expect(areas[2]).toBe(0);
    expect(pixelAreaM2(geo, 0, 2)).toBeNull();
    expect(pixelAreaM2(geo, 2, 0)).toBeNull();
  });

  it('a polygonized region with a hole: outer area minus the hole', async () => {
    // Class 1 rings class 2; pixels of 2 × 2 m.
    const mask = Uint8Array.from([1, 1, 1, 1, 2, 1, 1, 1, 1]);
    const geo = geoInfo([0, 2, 0, 6, 0, -2], 32631);
    await writeMaskVector(path('hole.gpkg'), mask, 3, 3, geo);
    const read = readLayer(path('hole.gpkg'));
    const byIndex = Object.fromEntries(read.features.map((f) => [f.properties.index, f]));
    expect(byIndex[1].rings).toHaveLength(2);
    expect(byIndex[1].properties.area).toBeCloseTo(8 * 4, 9);
    expect(byIndex[2].properties.area).toBeCloseTo(4, 9);
  });
});

describe('areas and CRSs: units and edge cases', () => {
  // EPSG:2263 is in US survey feet: 2 × 2 ft pixels are 4 · (1200/3937)² m².
  const FEET = geoInfo([1e6, 2, 0, 2e5, 0, -2], 2263);
  const sqft = (1200 / 3937) ** 2;

  it('planar areas scale by the unit; values at or above the class count, and the skipped one, count nowhere', async () => {
    expect(pixelAreaM2(FEET, 3, 3)! / (4 * sqft) - 1).toBeCloseTo(0, 12);
    const areas = classAreas(Uint8Array.from([0, 1, 1, 2, 3, 9]), 3, 2, 3, FEET, 9)!;
    expect(areas).toHaveLength(3);
    expect(areas.map((a) => a / (4 * sqft))).toEqual([expect.closeTo(1, 12), expect.closeTo(2, 12), expect.closeTo(1, 12)]);
    await writeMaskVector(path('feet.gpkg'), Uint8Array.from([1, 1, 0, 1]), 2, 2, FEET, { background: 0 });
    expect(readLayer(path('feet.gpkg')).features[0].properties.area as number / (12 * sqft) - 1).toBeCloseTo(0, 9);
    expect(classAreas(Uint8Array.from([0]), 1, 1, 1, null)).toBeNull();
  });

  it('a CRS of unknown units (geocentric) has no areas; WKT wins over EPSG unless blank; neither is no CRS', () => {
    const geocentric = geoInfo([0, 1, 0, 0, 0, -1], 4978);
    expect(pixelAreaM2(geocentric, 2, 2)).toBeNull();
    expect(classAreas(Uint8Array.from([0, 0, 0, 0]), 2, 2, 1, geocentric)).toBeNull();
    expect(spatialReferenceOf(geoInfo([0, 1, 0, 0, 0, -1], 32631, '  '))?.getAuthorityCode(null)).toBe('32631');
    expect(spatialReferenceOf(geoInfo([0, 1, 0, 0, 0, -1], 32631, pixelReference().toWKT()))?.toWKT()).toMatch(/image pixels/);
    expect(spatialReferenceOf(geoInfo([0, 1, 0, 0, 0, -1], null, null))).toBeNull();
    expect(crsName(lonLatReference())).not.toMatch(/^EPSG:/);
    // Another authority's code is not an EPSG code.
    expect(crsName(gdal().SpatialReference.fromUserInput('ESRI:54009'))).not.toBe('EPSG:54009');
  });

  it('the in-memory GeoJSON without any CRS has no crs member; features and geometries say their type', () => {
    const none = detectionsGeoJson(detections(geoInfo([0, 1, 0, 0, 0, -1], null, null))) as any;
    expect(none.crs).toBeUndefined();
    expect(none.features[0]).toMatchObject({ type: 'Feature', geometry: { type: 'Polygon' } });
  });
});

describe('mask vector checks', () => {
  const mask = Uint8Array.from([0, 1, 1, 0]);

  it('names what is wrong: the mask, its size, nodata, background, simplify', async () => {
    await expect(writeMaskVector(path('m.gpkg'), [0, 1, 1, 0] as never, 2, 2, null)).rejects.toThrow(new TypeError('Expected a Uint8Array for mask but received an array of length 4 of type object'));
    await expect(writeMaskVector(path('m.gpkg'), mask, 2, 3, null)).rejects.toThrow(new RangeError('Expected width × height equal to the mask length (4) for mask size but received "2×3" of type string'));
    // Products equal to the length, but not a size.
    for (const [w, h] of [[-2, -2], [2.5, 1.6], [8, 0.5], [0.5, 8], [3, 4 / 3]]) await expect(writeMaskVector(path('m.gpkg'), mask, w, h, null), `${w}×${h}`).rejects.toThrow(RangeError);
    for (const [w, h] of [[0, 3], [3, 0]]) await expect(writeMaskVector(path('m.gpkg'), new Uint8Array(0), w, h, null), `${w}×${h}`).rejects.toThrow(RangeError);
    await expect(writeMaskVector(path('m.gpkg'), mask, 2, 2, null, { nodata: 300 })).rejects.toThrow(/an integer from 0 to 255 or null for nodata/);
    await expect(writeMaskVector(path('m.gpkg'), mask, 2, 2, null, { background: -3 })).rejects.toThrow(/for background/);
    await expect(writeMaskVector(path('m.gpkg'), mask, 2, 2, null, { simplify: -1 })).rejects.toThrow(/a number ≥ 0 \(pixels\) for simplify/);
    await expect(writeMaskVector(path('m.txt'), mask, 2, 2, null)).rejects.toThrow('Expected a name ending in .geojson, .json, .gpkg or .fgb for vector file but received');
  });

  it('accepts nodata 255 and null, one-pixel-wide masks, and writes pixel coordinates for a grid without CRS', async () => {
    expect((await writeMaskVector(path('n255.gpkg'), Uint8Array.from([255, 1, 255, 1]), 2, 2, null, { nodata: 255 })).features).toBe(1);
    expect((await writeMaskVector(path('nnull.gpkg'), mask, 2, 2, null, { nodata: null, background: null })).features).toBe(4); // diagonal pixels are separate regions
    expect((await writeMaskVector(path('column.gpkg'), mask, 1, 4, null)).features).toBe(3);
    expect((await writeMaskVector(path('row.gpkg'), mask, 4, 1, null)).features).toBe(3);
    // A transform but no CRS: nothing to place it with, so pixels.
    await writeMaskVector(path('no-crs.gpkg'), Uint8Array.from([1]), 1, 1, geoInfo([500000, 10, 0, 4000000, 0, -10], null, null));
    const read = readLayer(path('no-crs.gpkg'));
    expect(read.features[0].ring.flat().every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('layers are named "classes" and "detections"', async () => {
    await writeMaskVector(path('named.gpkg'), mask, 2, 2, null);
    await writeDetectionsVector(path('named-boxes.gpkg'), detections(null));
    const names = [path('named.gpkg'), path('named-boxes.gpkg')].map((file) => {
      const ds = gdal().open(file);
      const name = ds.layers.get(0).name;
      ds.close();
      return name;
    });
    expect(names).toEqual(['classes', 'detections']);
  });
});

describe('polygonized masks without georeferencing and their options', () => {
  it('pixel coordinates (x right, y down) in the pixel CRS, no area, the class index as default label', async () => {
    const mask = Uint8Array.from([0, 0, 1, 0, 1, 1]);
    const written = await writeMaskVector(path('pixel-mask.gpkg'), mask, 3, 2, null, { background: 0 });
    expect(written).toEqual({ format: 'gpkg', crs: 'native', features: 1 });
    const read = readLayer(path('pixel-mask.gpkg'));
    expect(read.srs?.toWKT()).toMatch(/image pixels/);
    const [f] = read.features;
    expect(f.properties).toMatchObject({ index: 1, label: '1', area: null });
    const xs = f.ring.map((p) => p[0]);
    const ys = f.ring.map((p) => p[1]);
    expect([Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)]).toEqual([1, 3, 0, 2]);
  });

  it('rejects bad nodata, background and simplify values', async () => {
    const mask = Uint8Array.from([0, 1, 1, 0]);
    for (const options of [{ nodata: -1 }, { nodata: 1.5 }, { background: 256 }, { background: 0.5 }, { simplify: Number.NaN }, { simplify: Infinity }, { simplify: '1' }]) {
      await expect(writeMaskVector(path('bad.gpkg'), mask, 2, 2, null, options as never), JSON.stringify(options)).rejects.toThrow(RangeError);
    }
    await expect(writeMaskVector(path('bad.gpkg'), mask, 2, 2, null, { crs: 'utm' as never })).rejects.toThrow(RangeError);
    await expect(writeMaskVector(path('bad.gpkg'), mask, 0, 4, null)).rejects.toThrow(RangeError);
  });
});
