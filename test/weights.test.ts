/**
 * `fetchWeights` / `lwganet weights fetch` against a local HTTP server on 127.0.0.1 that serves a
 * checkpoint this test writes itself (the official files cannot be downloaded here):
 * lwganet.create_model('lwganet_l0').state_dict() saved as {'model': sd}, like the official files.
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWeights } from '../lib/weights/fetch.js';
import { cacheDir } from '../lib/weights/cache.js';
import { looksLikeCheckpoint } from '../lib/weights/download.js';
import { OFFICIAL_WEIGHTS } from '../lib/weights/variants.js';
import { PythonToolError } from '../lib/weights/python.js';
import { LwganetError } from '../lib/errors.js';
import { Tensor, loadModel } from '../lib/index.js';
import { tempDir } from './helpers/image-fixtures.js';
import { runPython } from './helpers/image-python.js';
import { hasStack, runCli } from './helpers/cli-run.js';

const tmp = tempDir('lwganet-weights-');
let server: Server;
let base = '';
let checkpoint: Buffer;
let wrongKeys: Buffer;
const hits: string[] = [];

const MAKE_CHECKPOINTS = `
import sys, torch, lwganet
model = lwganet.create_model("lwganet_l0")
torch.save({"model": model.state_dict(), "epoch": 299}, sys.argv[1])
torch.save({"model": {"not.a.key": torch.zeros(3)}}, sys.argv[2])
`;

const READ_METADATA = `
import sys, json, torch
files = {"metadata.json": ""}
torch.jit.load(sys.argv[1], _extra_files=files)
print(files["metadata.json"].decode() if isinstance(files["metadata.json"], bytes) else files["metadata.json"])
`;

beforeAll(async () => {
  runPython(['-c', MAKE_CHECKPOINTS, join(tmp.dir, 'ok.pth'), join(tmp.dir, 'wrong.pth')], { timeoutMs: 300_000 });
  checkpoint = readFileSync(join(tmp.dir, 'ok.pth'));
  wrongKeys = readFileSync(join(tmp.dir, 'wrong.pth'));
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const send = (body: Buffer, length = body.length) => {
      res.writeHead(200, { 'content-length': String(length), 'content-type': 'application/octet-stream' });
      res.end(body);
    };
    if (req.url === '/lwganet_l0_e299.pth') return send(checkpoint);
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/lwganet_l0_e299.pth' });
      return res.end();
    }
    if (req.url === '/wrong-keys.pth') return send(wrongKeys);
    if (req.url === '/html') return send(Buffer.from('<!DOCTYPE html><title>Sign in</title>'));
    if (req.url === '/empty') return send(Buffer.alloc(0));
    if (req.url === '/truncated') {
      // Announce the full size, send half, then drop the connection.
      res.writeHead(200, { 'content-length': String(checkpoint.length) });
      res.write(checkpoint.subarray(0, checkpoint.length >> 1));
      return void setTimeout(() => res.destroy(), 20);
    }
    if (req.url === '/stall') {
      res.writeHead(200, { 'content-length': '100' });
      return res.write(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    }
    res.writeHead(404);
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 300_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  tmp.cleanup();
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function failure(promise: Promise<unknown>): Promise<LwganetError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(LwganetError);
  return error as LwganetError;
}

describe('official weights table and cache location', () => {
  it('points at the authors\' GitHub release for l0, l1 and l2', () => {
    expect(OFFICIAL_WEIGHTS.l0.url).toBe('https://github.com/lwCVer/LWGANet/releases/download/weights/lwganet_l0_e299.pth');
    expect(OFFICIAL_WEIGHTS.l1.file).toBe('lwganet_l1_e299.pth');
    expect(OFFICIAL_WEIGHTS.l2.file).toBe('lwganet_l2_e296.pth');
  });

  it('uses $LWGANET_CACHE, then $XDG_CACHE_HOME, then ~/.cache', () => {
    expect(cacheDir({ LWGANET_CACHE: '/c' })).toBe('/c');
    expect(cacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/lwganet-node');
    expect(cacheDir({})).toMatch(/\.cache\/lwganet-node$/);
  });

  it('recognises torch.save files by their first bytes', () => {
    expect(looksLikeCheckpoint(Uint8Array.from([0x50, 0x4b, 3, 4]))).toBe(true);
    expect(looksLikeCheckpoint(Uint8Array.from([0x80, 2, 0x8a, 0x0a]))).toBe(true);
    expect(looksLikeCheckpoint(Buffer.from('<!DOC'))).toBe(false);
  });
});

describe('fetchWeights from a local server', () => {
  it('downloads (following redirects), verifies, converts and caches; then reuses the cache', async () => {
    const dir = join(tmp.dir, 'cache-ok');
    const first = await fetchWeights('l0', { from: `${base}/redirect`, cacheDir: dir, sha256: sha256(checkpoint) });
    expect(first).toMatchObject({ cached: false, sha256: sha256(checkpoint), model: join(dir, 'models', 'lwganet_l0-imagenet-1k.pt') });
    expect(readFileSync(first.checkpoint).equals(checkpoint)).toBe(true);
    const metadata = JSON.parse(runPython(['-c', READ_METADATA, first.model]));
    expect(metadata).toMatchObject({ task: 'classification', model: 'lwganet_l0', labelSet: 'imagenet-1k', numClasses: 1000 });
    expect(metadata.weights.source).toBe('checkpoint');
    expect(readdirSync(join(dir, 'models'))).toEqual(['lwganet_l0-imagenet-1k.pt']);

    const count = hits.length;
    const second = await fetchWeights('l0', { from: `${base}/lwganet_l0_e299.pth`, cacheDir: dir });
    expect(second).toMatchObject({ cached: true, model: first.model });
    expect(hits.length).toBe(count);
  }, 300_000);

  it.each([
    ['a 404', '/missing.pth', 'MODEL_NOT_FOUND', /could not be downloaded from .*: HTTP 404/],
    ['an HTML page', '/html', 'MODEL_CORRUPT', /is not a PyTorch checkpoint \(it starts with "<!DOCTYP/],
    ['an empty body', '/empty', 'MODEL_CORRUPT', /is empty/],
    ['a dropped connection', '/truncated', 'MODEL_NOT_FOUND', /could not be downloaded/],
  ])('rejects %s and leaves nothing in the cache (EXPECTED FAILURE)', async (_name, path, code, message) => {
    const dir = join(tmp.dir, `cache-${path.slice(1)}`);
    const error = await failure(fetchWeights('l0', { from: `${base}${path}`, cacheDir: dir }));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(existsSync(join(dir, 'checkpoints', 'lwganet_l0_e299.pth'))).toBe(false);
    expect(existsSync(join(dir, 'checkpoints', 'lwganet_l0_e299.pth.partial'))).toBe(false);
  });

  it('rejects a sha256 mismatch with MODEL_CORRUPT (EXPECTED FAILURE)', async () => {
    const error = await failure(fetchWeights('l0', { from: `${base}/lwganet_l0_e299.pth`, cacheDir: join(tmp.dir, 'cache-sha'), sha256: '0'.repeat(64) }));
    expect(error.code).toBe('MODEL_CORRUPT');
    expect(error.message).toMatch(new RegExp(`has sha256 ${sha256(checkpoint)}, expected 0{64}`));
  });

  it('rejects a checkpoint whose keys do not match the model, and drops it (EXPECTED FAILURE)', async () => {
    const dir = join(tmp.dir, 'cache-wrong');
    const error = await failure(fetchWeights('l0', { from: `${base}/wrong-keys.pth`, cacheDir: dir }));
    expect(error.code).toBe('MODEL_CORRUPT');
    expect(error.message).toMatch(/does not load into lwganet_l0: Checkpoint .* does not match LWGANetClassifier: 477 missing, 1 unexpected/);
    expect(existsSync(join(dir, 'checkpoints', 'lwganet_l0_e299.pth'))).toBe(false);
    expect(existsSync(join(dir, 'models', 'lwganet_l0-imagenet-1k.pt'))).toBe(false);
  }, 300_000);

  it('fails when nothing listens, and when a server stalls (EXPECTED FAILURE)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await failure(fetchWeights('l0', { from: `http://127.0.0.1:${port}/x.pth`, cacheDir: join(tmp.dir, 'cache-refused') }));
    expect(refused.message).toMatch(/ECONNREFUSED/);
    const { download } = await import('../lib/weights/download.js');
    const stalled = await failure(download(`${base}/stall`, join(tmp.dir, 'stall.pth'), { idleTimeoutMs: 300 }));
    expect(stalled.message).toMatch(/stalled for 300 ms after 4 bytes/);
  });

  it('reports a missing Python as PythonToolError after downloading (EXPECTED FAILURE)', async () => {
    const error = await fetchWeights('l0', { from: `${base}/lwganet_l0_e299.pth`, cacheDir: join(tmp.dir, 'cache-nopy'), env: { ...process.env, LWGANET_PYTHON: join(tmp.dir, 'no-python') } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PythonToolError);
    expect((error as PythonToolError).code).toBe('PYTHON_UNAVAILABLE');
  });

  it('rejects bad arguments with TypeError/RangeError', async () => {
    await expect(fetchWeights('l3' as never)).rejects.toThrow(/Expected one of l0, l1, l2 for variant/);
    await expect(fetchWeights(0 as never)).rejects.toThrow(TypeError);
    await expect(fetchWeights('l0', { from: 'ftp://example.org/x' })).rejects.toThrow(RangeError);
    await expect(fetchWeights('l0', { sha256: 'xyz' })).rejects.toThrow(/64 hexadecimal digits/);
    await expect(fetchWeights('l0', { format: 'onnx' as never })).rejects.toThrow(RangeError);
    await expect(fetchWeights('l0', { format: 2 as never })).rejects.toThrow(TypeError);
  });
});

describe('lwganet weights fetch (spawned CLI)', () => {
  it('prints the cached model path, and JSON with --json', async () => {
    const dir = join(tmp.dir, 'cache-cli');
    const result = await runCli(['weights', 'fetch', 'l0', '--from', `${base}/lwganet_l0_e299.pth`, '--cache-dir', dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${join(dir, 'models', 'lwganet_l0-imagenet-1k.pt')}\n`);
    expect(result.stderr).toContain(`sha256 ${sha256(checkpoint)}`);
    const again = await runCli(['weights', 'fetch', 'l0', '--from', `${base}/lwganet_l0_e299.pth`, '--cache-dir', dir, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ variant: 'l0', cached: true, model: join(dir, 'models', 'lwganet_l0-imagenet-1k.pt') });
  }, 300_000);

  it('exits 1 with one line when the download fails (EXPECTED FAILURE)', async () => {
    const result = await runCli(['weights', 'fetch', 'l1', '--from', `${base}/missing.pth`, '--cache-dir', join(tmp.dir, 'cache-cli-404')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^lwganet: Weights could not be downloaded from .*missing\.pth: HTTP 404 Not Found \[MODEL_NOT_FOUND\]\n$/);
    expect(hasStack(result.stderr)).toBe(false);
  });
});

describe('lwganet pretrained (spawned CLI)', () => {
  it('writes the exported model with its ImageNet labels to --out, and refuses a format it cannot write', async () => {
    const dir = join(tmp.dir, 'cache-pretrained');
    const out = join(tmp.dir, 'pretrained', 'l0.pt');
    const result = await runCli(['pretrained', 'l0', '--from', `${base}/lwganet_l0_e299.pth`, '--sha256', sha256(checkpoint), '--cache-dir', dir, '--out', out, '--no-progress']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${out}\n`);
    const metadata = JSON.parse(runPython(['-c', READ_METADATA, out]));
    expect(metadata).toMatchObject({ model: 'lwganet_l0', labelSet: 'imagenet-1k', numClasses: 1000 });
    expect(metadata.labels).toHaveLength(1000);
    expect(metadata.weights.source).toBe('checkpoint');
    const onnx = await runCli(['pretrained', 'l0', '--format', 'onnx', '--out', out]);
    expect(onnx.code).toBe(2);
    expect(onnx.stderr).toMatch(/--format.*onnx.*Allowed choices are pt, pt2/s);
  }, 300_000);

  it('--format pt2 compiles the same weights into a package that classifies as the TorchScript model does', async () => {
    const dir = join(tmp.dir, 'cache-pretrained-pt2');
    const script = join(tmp.dir, 'pretrained-pt2', 'l0.pt');
    const compiled = join(tmp.dir, 'pretrained-pt2', 'l0.pt2');
    const flags = ['--from', `${base}/lwganet_l0_e299.pth`, '--sha256', sha256(checkpoint), '--cache-dir', dir, '--no-progress'];
    expect((await runCli(['pretrained', 'l0', ...flags, '--out', script])).code).toBe(0);
    const result = await runCli(['pretrained', 'l0', '--format', 'pt2', ...flags, '--out', compiled]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${compiled}\n`);
    expect(result.stderr).toMatch(/compiled for this machine's CPU and torch/);
    expect(existsSync(join(dir, 'models', 'lwganet_l0-imagenet-1k.pt2'))).toBe(true);
    const [reference, pkg] = [await loadModel(script, { threads: 2 }), await loadModel(compiled, { threads: 2 })];
    expect(pkg.metadata).toMatchObject({ model: 'lwganet_l0', labelSet: 'imagenet-1k', numClasses: 1000 });
    expect(pkg.metadata?.export.method).toBe('aoti');
    expect(pkg.metadata?.weights.source).toBe('checkpoint');
    expect(pkg.metadata?.labels).toEqual(reference.metadata?.labels);
    const x = new Tensor('float32', Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.01)), [1, 3, 224, 224]);
    const want = (await reference.run(x)) as Tensor;
    const got = (await pkg.run(x)) as Tensor;
    expect(got.shape).toEqual([1, 1000]);
    const w = want.data as Float32Array;
    const g = got.data as Float32Array;
    const scale = Math.max(...Array.from(w, Math.abs));
    expect(Math.max(...Array.from(g, (v, i) => Math.abs(v - w[i]))) / scale).toBeLessThan(1e-4);
    reference.dispose();
    pkg.dispose();
  }, 600_000);
});
