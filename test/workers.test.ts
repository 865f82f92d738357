// The addon is context-aware: every worker thread loads its own instance (no static JS
// handles), while one native cache shares the weights of a file across all of them.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Tensor, loadModel, type ModelOutput } from '../lib/index.js';
import { fixture } from './helpers/fixtures.js';
import { geotiff, pattern, tempDir, writeFixture } from './helpers/image-fixtures.js';

const DIST = path.join(__dirname, '..', 'dist', 'index.js');
const BINDING = path.join(__dirname, '..', 'dist', 'native', 'binding.js');

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { loadModel, Tensor } = require(workerData.dist);
const { binding } = require(workerData.binding);
(async () => {
  const model = await loadModel(workerData.model, { threads: 1 });
  const x = new Tensor('float32', new Float32Array(3 * 224 * 224).fill(workerData.id / 10), [1, 3, 224, 224]);
  const outs = [];
  for (let i = 0; i < 3; i++) outs.push(await model.run(x));
  const sync = model.runSync(x);
  parentPort.postMessage({ id: workerData.id, checksum: outs[0].data.reduce((a, b) => a + b, 0),
    same: outs.every((o) => o.data.every((v, j) => v === sync.data[j])), cached: binding().cachedModuleCount() });
  // Stay alive, holding the model, until told to finish: the parent reads the cache meanwhile.
  parentPort.once('message', () => { model.dispose(); process.exit(0); });
})().catch((error) => { parentPort.postMessage({ error: String(error && error.stack || error) }); });
`;

interface Report { id: number; checksum: number; same: boolean; cached: number; error?: string }

describe('worker_threads', () => {
  it('loads the addon in 4 workers at once, runs, shares one copy of the weights and exits cleanly', async () => {
    const workers = Array.from({ length: 4 }, (_, id) =>
      new Worker(WORKER_SOURCE, { eval: true, workerData: { id, dist: DIST, binding: BINDING, model: fixture('conv.pt') } }),
    );
    const reports = await Promise.all(
      workers.map((worker) => new Promise<Report>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      })),
    );
    for (const report of reports) expect(report.error).toBeUndefined();
    expect(reports.every((r) => r.same)).toBe(true);
    expect(new Set(reports.map((r) => r.checksum)).size).toBe(4); // each worker ran its own input
    expect(Math.max(...reports.map((r) => r.cached))).toBe(1);
    const exits = workers.map((worker) => new Promise<number>((resolve) => worker.once('exit', resolve)));
    workers.forEach((worker) => worker.postMessage('done'));
    expect(await Promise.all(exits)).toEqual([0, 0, 0, 0]);
  });

  it('outputs are Tensor instances of each thread\'s own class, in a worker and in the main thread alongside it', async () => {
    // Each environment registers its Tensor class with its own addon instance: the main thread's
    // first, then the worker's; the main thread's outputs must stay of its class afterwards.
    const leaves = (value: ModelOutput): unknown[] =>
      Array.isArray(value) ? value.flatMap(leaves) : value instanceof Tensor || typeof value !== 'object' || value === null ? [value] : Object.values(value).flatMap(leaves);
    const nested = await loadModel(fixture('nested_out.pt'), { threads: 1 });
    const x = new Tensor('float32', new Float32Array([1, 2, 3]));
    const check = async () => [...leaves(await nested.run(x)), ...leaves(nested.runSync(x))];
    expect((await check()).every((leaf) => leaf instanceof Tensor)).toBe(true);

    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { loadModel, Tensor } = require(workerData.dist);
      const leaves = (v) => Array.isArray(v) ? v.flatMap(leaves) : v instanceof Tensor || typeof v !== 'object' || v === null ? [v] : Object.values(v).flatMap(leaves);
      (async () => {
        const nested = await loadModel(workerData.nested, { threads: 1 });
        const identity = await loadModel(workerData.identity, { threads: 1 });
        const x = new Tensor('float32', new Float32Array([1, 2, 3]));
        const outs = [...leaves(await nested.run(x)), ...leaves(nested.runSync(x)), await identity.run(x), identity.runSync(x)];
        parentPort.postMessage({ count: outs.length, tensors: outs.filter((o) => o instanceof Tensor).length,
          aliased: outs[outs.length - 1].data.buffer === x.data.buffer });
        parentPort.once('message', () => process.exit(0));
      })().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }));`;
    const worker = new Worker(source, { eval: true, workerData: { dist: DIST, nested: fixture('nested_out.pt'), identity: fixture('identity.pt') } });
    try {
      const report = await new Promise<Record<string, unknown>>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(report).toEqual({ count: 8, tensors: 8, aliased: true });
      const again = await check();
      expect(again.length).toBe(6);
      expect(again.every((leaf) => leaf instanceof Tensor)).toBe(true);
    } finally {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('done');
      await exited;
    }
  });

  it('imports in a worker started without workerData and decodes a GeoTIFF there', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = writeFixture(dir, 'scene.tif', geotiff({ width: 6, height: 4, bands: [pattern(6, 4, 1), pattern(6, 4, 1, 2), pattern(6, 4, 1, 3)], epsg: 32633, origin: [500000, 4600000, 10, 10] }));
      const source = `
        const { parentPort } = require('node:worker_threads');
        const { decodeImage } = require(${JSON.stringify(DIST)});
        decodeImage(${JSON.stringify(file)}).then((img) => parentPort.postMessage({ width: img.width, height: img.height, epsg: img.geo && img.geo.epsg }),
          (error) => parentPort.postMessage({ error: String(error) }));`;
      const worker = new Worker(source, { eval: true }); // no workerData: geotiff's web-worker helper used to throw here
      const report = await new Promise<Record<string, unknown>>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await worker.terminate();
      expect(report).toEqual({ width: 6, height: 4, epsg: 32633 });
    } finally {
      cleanup();
    }
  });

  it('terminating a worker in the middle of a forward neither crashes nor hangs the process', async () => {
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { loadModel, Tensor } = require(workerData.dist);
      loadModel(workerData.model, { threads: 1 }).then((model) => {
        const x = new Tensor('float32', new Float32Array(512 * 512).fill(0.001), [512, 512]);
        model.run(x); model.run(x);
        parentPort.postMessage('running');
      });`;
    const worker = new Worker(source, { eval: true, workerData: { dist: DIST, model: fixture('slow.pt') } });
    await new Promise((resolve) => worker.once('message', resolve));
    const code = await worker.terminate();
    expect(code).toBe(1);
  });
});
