/**
 * Masks and probability maps as Cloud-Optimized GeoTIFFs written by GDAL (COG driver: tiled
 * 512², DEFLATE, overviews optional) carrying the input's georeferencing exactly as GDAL read
 * it: the CRS WKT, the geotransform (south-up and rotation kept) and a nodata value, so QGIS,
 * rasterio and GDAL overlay the output on the scene. Class masks get a palette colour table.
 * The file is built in GDAL's memory file system, then written atomically.
 */

import { randomBytes } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import { gdal } from '../image/gdal-raster.js';
import type { GeoInfo } from '../image/types.js';
import type { Palette } from '../model/metadata.js';
import { writeAtomically } from './atomic.js';
import { checkMask } from './mask-png.js';

export interface GeotiffOutputOptions {
  /** Nodata value written into the file (masks: 255 by default when the input had nodata; probability maps: NaN). */
  noData?: number | null;
  /** Colour table for class masks (entry i = class i). */
  palette?: Palette | null;
  /** Build internal overviews (default false). */
  overviews?: boolean;
}

function checkGeo(geo: GeoInfo): void {
  if (typeof geo !== 'object' || geo === null || !Array.isArray(geo.geoTransform) || geo.geoTransform.length !== 6) {
    throw invalidArgument('geo', 'the georeferencing of a georeferenced input (write a PNG for other inputs)', geo);
  }
}

async function writeCog(file: string, data: Uint8Array | Float32Array, width: number, height: number, geo: GeoInfo, options: GeotiffOutputOptions): Promise<void> {
  checkGeo(geo);
  const g = gdal();
  const type = data instanceof Float32Array ? 'Float32' : 'Byte';
  const memory = g.open('', 'w', 'MEM', width, height, 1, type);
  const path = `/vsimem/lwganet-out-${process.pid}-${randomBytes(4).toString('hex')}.tif`;
  try {
    memory.geoTransform = [...geo.geoTransform];
    if (geo.crsWkt) memory.srs = g.SpatialReference.fromWKT(geo.crsWkt);
    else if (geo.epsg) memory.srs = g.SpatialReference.fromEPSG(geo.epsg);
    const band = memory.bands.get(1);
    if (options.noData !== undefined && options.noData !== null) band.noDataValue = options.noData;
    if (options.palette) {
      const table = new g.ColorTable(g.GPI_RGB);
      options.palette.forEach(([r, gr, b], i) => table.set(i, { c1: r, c2: gr, c3: b, c4: 255 }));
      band.colorTable = table;
    }
    await band.pixels.writeAsync(0, 0, width, height, data);
    const creation = ['COMPRESS=DEFLATE', 'BLOCKSIZE=512', `OVERVIEWS=${options.overviews ? 'AUTO' : 'NONE'}`];
    if (type === 'Float32') creation.push('PREDICTOR=YES');
    const cog = await g.drivers.get('COG').createCopyAsync(path, memory, creation);
    cog.close();
  } catch (error) {
    try {
      g.vsimem.release(path);
    } catch {
      // never created
    }
    throw error;
  } finally {
    memory.close();
  }
  const bytes = g.vsimem.release(path);
  await writeAtomically(file, async (handle) => {
    await handle.write(bytes);
  });
}

/**
 * Writes a single-band 8-bit class mask as a COG, atomically.
 * @param geo the input's georeferencing (SegmentationResult.geo / ChangeResult.geo); required
 * @throws TypeError/RangeError for a mask that does not match width × height or lacks geo
 */
export async function writeMaskGeotiff(file: string, mask: Uint8Array, width: number, height: number, geo: GeoInfo, options: GeotiffOutputOptions = {}): Promise<void> {
  checkMask(mask, width, height, null);
  await writeCog(file, mask, width, height, geo, options);
}

/** Writes a Float32 probability map (nodata NaN by default) as a COG, atomically. */
export async function writeProbabilityGeotiff(file: string, values: Float32Array, width: number, height: number, geo: GeoInfo, options: GeotiffOutputOptions = {}): Promise<void> {
  if (!(values instanceof Float32Array) || values.length !== width * height) throw invalidArgument('probability', `a Float32Array of ${width * height} values`, values);
  await writeCog(file, values, width, height, geo, { noData: Number.NaN, ...options, palette: null }); // no colour table on Float32
}
