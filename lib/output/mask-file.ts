/**
 * Writes a mask in the format its file name asks for: `.png` (indexed with the palette, or
 * grey class indices), `.tif`/`.tiff` (a Cloud-Optimized GeoTIFF keeping the input's
 * georeferencing and nodata, with the palette as its colour table; or a plain 8-bit TIFF when the
 * input had none). TIFF masks hold class indices. Always atomic: no partial file on failure.
 */

import { extname } from 'node:path';
import sharp from 'sharp';
import { invalidArgument } from '../errors.js';
import type { GeoInfo } from '../image/types.js';
import type { Palette } from '../model/metadata.js';
import { writeAtomically } from './atomic.js';
import { writeMaskGeotiff } from './mask-geotiff.js';
import { checkMask, writeMaskPng } from './mask-png.js';

export type MaskFormat = 'png' | 'tiff';

/** The format for a file name, or a RangeError naming the supported extensions. */
export function maskFormatFor(file: string): MaskFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.tif' || ext === '.tiff') return 'tiff';
  throw invalidArgument('output file', 'a name ending in .png, .tif or .tiff', file, 'range');
}

export interface MaskFileOptions {
  /** Colour a PNG mask (indexed PNG; pixel values stay class indices). TIFF masks ignore it. */
  palette?: Palette | null;
  /** Georeferencing to keep in a TIFF output (written as a Cloud-Optimized GeoTIFF by GDAL). */
  geo?: GeoInfo | null;
  /** Mask value meaning "no data" (SegmentationResult.noData), written as the GeoTIFF's nodata. */
  noData?: number | null;
}

/** Writes `mask` to `file` (format from the extension). */
export async function writeMaskFile(file: string, mask: Uint8Array, width: number, height: number, options: MaskFileOptions = {}): Promise<MaskFormat> {
  const format = maskFormatFor(file);
  const palette = options.palette ?? null;
  if (format === 'png') {
    // Nodata pixels (255) are drawn black: the palette is padded up to the nodata index.
    const noData = options.noData ?? null;
    const padded = palette && noData !== null && noData >= palette.length
      ? [...palette, ...Array.from({ length: noData + 1 - palette.length }, () => [0, 0, 0] as [number, number, number])]
      : palette;
    await writeMaskPng(file, mask, width, height, { palette: padded });
  } else if (options.geo) {
    await writeMaskGeotiff(file, mask, width, height, options.geo, { palette, noData: options.noData ?? null });
  } else {
    checkMask(mask, width, height, palette);
    const bytes = await sharp(mask, { raw: { width, height, channels: 1 }, limitInputPixels: false }).tiff({ compression: 'deflate' }).toBuffer();
    await writeAtomically(file, async (handle) => {
      await handle.write(bytes);
    });
  }
  return format;
}
