// Stand-in for the `web-worker` package under mutation testing, whose runner executes tests in
// worker threads: web-worker throws at import inside a worker thread started without
// workerData, and geotiff.js imports it for a decoder pool the package never uses.
export default class NoWebWorker {
  constructor() {
    throw new Error('web-worker is not available in the mutation-testing runner');
  }
}
