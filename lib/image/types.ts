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

/** Where the decoded pixels sit on the Earth, read from GeoTIFF tags. */
export interface GeoInfo {
  /** Transform of the decoded window: pixel (col, row) maps to (gt[0] + col·gt[1] + row·gt[2], gt[3] + col·gt[4] + row·gt[5]). */
  geoTransform: GeoTransform;
  /** EPSG code of the projected or geographic CRS, or null when the file names none (user-defined CRS). */
  epsg: number | null;
  /** The CRS as GDAL reads it (WKT), when the reader provides it; outputs prefer it over `epsg`. */
  crsWkt?: string | null;
  /** Raw GeoKey directory, for CRSs that have no EPSG code. */
  geoKeys: Record<string, unknown>;
  /** The window read, in full-image pixels: [left, top, right, bottom) (exclusive right/bottom). */
  window: [number, number, number, number];
  /** Size of the full raster the window was read from. */
  fullWidth: number;
  fullHeight: number;
  /** GDAL_NODATA value of the file, or null. */
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
}

/**
 * How GeoTIFF samples become 8-bit: 'dtype' maps the full range of the sample type linearly
 * (uint16 0..65535 → 0..255); 'minmax' stretches the window's own finite, non-nodata min..max;
 * [min, max] maps that range (values outside are clamped).
 */
export type ValueRange = 'dtype' | 'minmax' | readonly [number, number];

export interface DecodeOptions {
  /** Largest width × height decoded (the pixel-bomb guard). Default DEFAULT_MAX_PIXELS. */
  maxPixels?: number;
  /** GeoTIFF only: the pixel window [left, top, right, bottom) to read instead of the whole raster. */
  window?: readonly [number, number, number, number];
  /** GeoTIFF only: which 0-based bands become R, G, B (default: 1 band → [0,0,0], 2 → [0,0,0], ≥3 → [0,1,2]). */
  bands?: readonly [number, number, number];
  /** GeoTIFF only: how samples map to 0..255. Default 'dtype' for integers, 'minmax' for floats. */
  valueRange?: ValueRange;
}
