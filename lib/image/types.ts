/**
 * Shapes of images moving through lib/image: what callers may pass in, and the one decoded
 * form every pipeline consumes (8-bit RGB, interleaved, row-major), optionally with the
 * georeferencing of the pixels it holds.
 */

/** Raw, interleaved (HWC) pixels the caller already has in memory. */
export interface RawPixels {
  /** `width * height * channels` samples; 8-bit (Uint8Array / Uint8ClampedArray) or 16-bit (Uint16Array). */
  data: Uint8Array | Uint8ClampedArray | Uint16Array;
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
}

/** Anything decodeImage() accepts: a file path, encoded bytes, raw pixels, or an already decoded image. */
export type ImageInput = string | Uint8Array | RawPixels | DecodedImage;

/** Affine pixel → world transform in GDAL order: [originX, pixelWidth, rowRotation, originY, columnRotation, pixelHeight]. */
export type GeoTransform = [number, number, number, number, number, number];

/** Where the decoded pixels sit on the Earth, as GDAL reads it from the file. */
export interface GeoInfo {
  /** Transform of the decoded window as GDAL reports it (pixel-is-point already applied, south-up and rotation kept): pixel (col, row) maps to (gt[0] + col·gt[1] + row·gt[2], gt[3] + col·gt[4] + row·gt[5]). */
  geoTransform: GeoTransform;
  /** The CRS exactly as GDAL reads it (WKT), or null when the raster has a transform but no CRS. */
  crsWkt: string | null;
  /** EPSG code of the CRS when its authority is EPSG, else null (custom CRS: use crsWkt). */
  epsg: number | null;
  /** The window read, in full-image pixels: [left, top, right, bottom) (exclusive right/bottom). */
  window: [number, number, number, number];
  /** Size of the full raster the window was read from. */
  fullWidth: number;
  fullHeight: number;
  /** Nodata value of the first band, or null. */
  noData: number | null;
}

/** How the source was stored before conversion to 8-bit RGB (for reports and debugging). */
export interface SourceInfo {
  format: 'jpeg' | 'png' | 'webp' | 'tiff' | 'geotiff' | 'raw' | 'other';
  /** Samples per pixel in the source (palette images count their expanded channels). */
  channels: number;
  /** Bits per sample in the source (8, 16, 32, ...). */
  bitsPerSample: number;
}

/** A decoded image: always 8-bit RGB, interleaved (HWC), row-major. */
export interface DecodedImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
  readonly source: SourceInfo;
  readonly geo: GeoInfo | null;
  /**
   * One byte per pixel, 1 where the source has no data (band nodata value, GDAL mask or alpha
   * band, NaN), or null/absent when every pixel is valid. Nodata pixels are black in `data`.
   */
  readonly nodata?: Uint8Array | null;
}

/**
 * How samples of a GDAL-read raster become 8-bit, per band: 'dtype' maps the full range of the
 * sample type linearly (uint16 0..65535 → 0..255); 'percentile' stretches the band's 2nd..98th
 * percentile of valid pixels; 'minmax' its valid min..max; [min, max] maps that range for every
 * band (values outside are clamped). Statistics exclude nodata and come from a reduced read of
 * the whole raster (≤ 1024 px a side; GDAL uses overviews), so every window is scaled the same.
 */
export type ValueRange = 'dtype' | 'percentile' | 'minmax' | readonly [number, number];

export interface DecodeOptions {
  /** Largest width × height decoded (the pixel-bomb guard). Default DEFAULT_MAX_PIXELS. */
  maxPixels?: number;
  /** GDAL-read rasters only: the pixel window [left, top, right, bottom) to read instead of the whole raster. */
  window?: readonly [number, number, number, number];
  /**
   * GDAL-read rasters only: which bands become R, G, B, 0-based (GDAL's band 1 is 0; Sentinel-2
   * B4,B3,B2 stacked in order are [3, 2, 1]). Default: 1 or 2 bands → [0,0,0], ≥3 → [0,1,2].
   */
  bands?: readonly [number, number, number];
  /** GDAL-read rasters only: how samples map to 0..255. Default 'dtype' for 8-bit bands (as is), 'percentile' (2–98 %) for every other type. */
  valueRange?: ValueRange;
}
