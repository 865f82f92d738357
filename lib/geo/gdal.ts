/**
 * gdal-async, loaded on first use: only the georeferenced outputs need it, and loading GDAL's
 * library costs about half a second that plain-image users should not pay.
 */

import type * as Gdal from 'gdal-async';

let cached: typeof Gdal | null = null;

/** The gdal-async module. */
export function gdal(): typeof Gdal {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cached ??= require('gdal-async') as typeof Gdal;
  return cached;
}
