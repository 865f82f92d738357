/**
 * Image fixtures generated inside the tests (nothing binary is checked in): deterministic
 * pixel patterns, encoded with sharp (PNG, JPEG, WebP, TIFF) or geotiff.js (GeoTIFF).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { writeArrayBuffer } from 'geotiff';

/** Deterministic 8-bit pattern of width × height × channels samples. */
export function pattern(width: number, height: number, channels: number, seed = 1): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** Encodes raw 8-bit (or 16-bit) pixels with sharp in the given format. */
export async function encode(
  data: Uint8Array | Uint16Array,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  format: 'png' | 'jpeg' | 'webp' | 'tiff',
): Promise<Buffer> {
  let img = sharp(data, { raw: { width, height, channels } });
  if (data instanceof Uint16Array) img = img.toColourspace(channels <= 2 ? 'grey16' : 'rgb16');
  else if (channels <= 2) img = img.toColourspace('b-w');
  if (format === 'png') return img.png().toBuffer();
  if (format === 'jpeg') return img.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
  if (format === 'webp') return img.webp({ lossless: true }).toBuffer();
  return img.tiff({ compression: 'lzw' }).toBuffer();
}

/** Rewrites a PNG's IHDR width/height (fixing its CRC) to declare a pixel bomb. */
export function pngWithDeclaredSize(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

export interface GeoTiffSpec {
  width: number;
  height: number;
  bands: Array<Uint8Array | Uint16Array | Float32Array>;
  epsg?: number;
  geographic?: boolean;
  /** [originX, originY, pixelSizeX, pixelSizeY] written as tie point + pixel scale. */
  origin?: [number, number, number, number];
  modelTransformation?: number[];
  noData?: number;
}

/** Writes an uncompressed, pixel-interleaved GeoTIFF with geotiff.js. */
export function geotiff(spec: GeoTiffSpec): ArrayBuffer {
  const { width, height, bands } = spec;
  const n = width * height;
  const Ctor = bands[0].constructor as new (n: number) => Uint8Array | Uint16Array | Float32Array;
  const values = new Ctor(n * bands.length);
  for (let i = 0; i < n; i++) for (let b = 0; b < bands.length; b++) values[i * bands.length + b] = bands[b][i];
  const bits = values.BYTES_PER_ELEMENT * 8;
  const meta: Record<string, unknown> = {
    width,
    height,
    SamplesPerPixel: bands.length,
    BitsPerSample: bands.map(() => bits),
    SampleFormat: bands.map(() => (values instanceof Float32Array ? 3 : 1)),
    PhotometricInterpretation: bands.length >= 3 ? 2 : 1,
    PlanarConfiguration: 1,
    GTRasterTypeGeoKey: 1,
  };
  if (bands.length > 3) meta.ExtraSamples = Array(bands.length - 3).fill(0);
  if (spec.modelTransformation) meta.ModelTransformation = spec.modelTransformation;
  else if (spec.origin) {
    const [x, y, sx, sy] = spec.origin;
    meta.ModelPixelScale = [sx, sy, 0];
    meta.ModelTiepoint = [0, 0, 0, x, y, 0];
  }
  if (spec.epsg !== undefined) {
    meta.GTModelTypeGeoKey = spec.geographic ? 2 : 1;
    meta[spec.geographic ? 'GeographicTypeGeoKey' : 'ProjectedCSTypeGeoKey'] = spec.epsg;
  }
  if (spec.noData !== undefined) meta.GDAL_NODATA = `${spec.noData}\0`;
  return writeArrayBuffer(values, meta as never);
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = 'lwganet-img-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes bytes to `dir/name` and returns the path. */
export function writeFixture(dir: string, name: string, bytes: Uint8Array | ArrayBuffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes);
  return path;
}
