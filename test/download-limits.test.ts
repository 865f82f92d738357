// weights download limits: an endless body is cut at maxBytes, a dripping server at the deadline or
// the minimum rate, and nothing is left at the destination or as a .partial file.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LwganetError } from '../lib/index.js';
import { download } from '../lib/weights/download.js';

let server: Server;
let base = '';
const dir = mkdtempSync(join(tmpdir(), 'lwganet-download-'));
const timers = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/endless') {
      // A zip header, then zeros forever, without Content-Length.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (res.write(chunk)) if (res.destroyed) return;
        res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    } else if (req.url === '/huge-length') {
      res.writeHead(200, { 'content-length': String(50 * 1024 ** 3) });
      res.write(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    } else if (req.url === '/drip') {
      res.writeHead(200);
      res.write(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
      const timer = setInterval(() => res.write(Buffer.from([0])), 50);
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const timer of timers) clearInterval(timer);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<LwganetError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(LwganetError);
  return error as LwganetError;
}

describe('download limits', () => {
  it('cuts an endless body at maxBytes and leaves no file behind', async () => {
    const dest = join(dir, 'endless.pth');
    const error = await failure(download(`${base}/endless`, dest, { maxBytes: 1024 * 1024 }));
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.message).toMatch(/more than 1048576 bytes, the limit/);
    expect(existsSync(dest)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('endless'))).toEqual([]);
  });

  it('refuses a Content-Length over maxBytes before writing anything', async () => {
    const dest = join(dir, 'huge.pth');
    const error = await failure(download(`${base}/huge-length`, dest));
    expect(error.message).toMatch(/announces 53687091200 bytes, over the \d+-byte limit/);
    expect(existsSync(dest)).toBe(false);
  });

  it('gives up on a server that drips bytes (each resets the idle timer): overall deadline, and minimum rate', async () => {
    const late = await failure(download(`${base}/drip`, join(dir, 'drip1.pth'), { idleTimeoutMs: 5000, deadlineMs: 600, minBytesPerSecond: 0 }));
    expect(late.message).toMatch(/not finished within the 600 ms deadline/);
    const slow = await failure(download(`${base}/drip`, join(dir, 'drip2.pth'), { idleTimeoutMs: 5000, minBytesPerSecond: 1000, minRateAfterMs: 300 }));
    expect(slow.message).toMatch(/too slow: \d+ bytes in \d+ ms, under the minimum of 1000 bytes\/s/);
    expect(readdirSync(dir).filter((f) => f.startsWith('drip'))).toEqual([]);
  });
});
