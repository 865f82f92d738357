/**
 * geotiff.js, loaded on first use rather than when lwganet-node is imported.
 *
 * Why: geotiff's module body loads `web-worker` (for its optional decoder pool), and that
 * package, inside a worker_thread started without `workerData`, throws at import time
 * ("Cannot destructure property 'mod' of workerData"). lwganet-node never uses geotiff's pool,
 * so in worker threads `web-worker` is replaced by a stub before geotiff loads: importing the
 * package and decoding GeoTIFFs both work in any worker.
 */

import Module from 'node:module';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

export type GeotiffModule = typeof import('geotiff');

let loaded: GeotiffModule | undefined;

function stubWebWorker(): void {
  const geotiffEntry = require.resolve('geotiff');
  const webWorker = require.resolve('web-worker', { paths: [path.dirname(geotiffEntry)] });
  if (require.cache[webWorker]) return;
  const stub = new Module(webWorker);
  stub.filename = webWorker;
  stub.loaded = true;
  stub.exports = class NoGeotiffWorkerPool {
    constructor() {
      throw new Error("lwganet-node does not use geotiff.js's worker pool");
    }
  };
  require.cache[webWorker] = stub;
}

/** The geotiff module (CommonJS build), loaded once. */
export function geotiff(): GeotiffModule {
  if (!loaded) {
    if (!isMainThread) stubWebWorker();
    loaded = require('geotiff') as GeotiffModule;
  }
  return loaded;
}
