/**
 * Streams a URL to a file while hashing it: written to `<dest>.partial` and renamed only when
 * complete and verified, so an interrupted download never leaves a file that looks valid.
 */

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LwganetError } from '../errors.js';
import { trackTempFile, untrackTempFile } from '../output/temp-files.js';

export interface DownloadOptions {
  /** Expected sha256 (hex); a mismatch fails with MODEL_CORRUPT. */
  sha256?: string | null;
  /** Abort when no byte arrives for this long. Default 30 s. */
  idleTimeoutMs?: number;
  /**
   * Largest body accepted, in bytes (checked against Content-Length up front and while streaming).
   * Default DOWNLOAD_MAX_BYTES (2 GiB; the official checkpoints are far smaller).
   */
  maxBytes?: number;
  /** The whole download must finish within this time. Default DOWNLOAD_DEADLINE_MS (30 min). */
  deadlineMs?: number;
  /**
   * Slowest average rate accepted once `minRateAfterMs` have passed (a server dripping a byte at a
   * time resets the idle timer forever). Default 10 KiB/s after 60 s.
   */
  minBytesPerSecond?: number;
  minRateAfterMs?: number;
  onProgress?: (received: number, total: number | null) => void;
}

export const DOWNLOAD_MAX_BYTES = 2 * 1024 ** 3;
export const DOWNLOAD_DEADLINE_MS = 30 * 60_000;
export const DOWNLOAD_MIN_BYTES_PER_SECOND = 10 * 1024;
export const DOWNLOAD_MIN_RATE_AFTER_MS = 60_000;

/** True for torch.save output: a zip archive (torch ≥ 1.6) or a legacy pickle (protocol 2+). */
export function looksLikeCheckpoint(head: Uint8Array): boolean {
  const zip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  return zip || (head[0] === 0x80 && head[1] >= 2 && head[1] <= 5);
}

/** Downloads `url` to `dest`; returns the sha256 of what was written. */
export async function download(url: string, dest: string, options: DownloadOptions = {}): Promise<string> {
  const partial = `${dest}.partial`;
  const controller = new AbortController();
  const idle = options.idleTimeoutMs ?? 30_000;
  let timer = setTimeout(() => controller.abort(), idle);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), idle);
  };
  const fail = (why: string, cause?: unknown) => new LwganetError('MODEL_NOT_FOUND', `Weights could not be downloaded from ${url}: ${why}`, { cause });
  const maxBytes = options.maxBytes ?? DOWNLOAD_MAX_BYTES;
  const deadline = options.deadlineMs ?? DOWNLOAD_DEADLINE_MS;
  const minRate = options.minBytesPerSecond ?? DOWNLOAD_MIN_BYTES_PER_SECOND;
  const minRateAfter = options.minRateAfterMs ?? DOWNLOAD_MIN_RATE_AFTER_MS;
  const started = Date.now();
  let stopReason: string | null = null;
  const stop = (why: string) => {
    stopReason ??= why;
    controller.abort();
  };
  const deadlineTimer = setTimeout(() => stop(`not finished within the ${deadline} ms deadline`), deadline);
  let received = 0;
  const rateTimer = setInterval(() => {
    const elapsed = Date.now() - started;
    if (elapsed >= minRateAfter && (received * 1000) / elapsed < minRate) {
      stop(`too slow: ${received} bytes in ${elapsed} ms, under the minimum of ${minRate} bytes/s`);
    }
  }, Math.max(50, Math.min(1000, minRateAfter)));
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw fail(stopReason ?? (controller.signal.aborted ? `no response within ${idle} ms` : (cause?.code ?? cause?.message ?? (error as Error).message)), error);
    }
    if (!response.ok || !response.body) throw fail(`HTTP ${response.status} ${response.statusText}`.trim());
    const length = Number(response.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : null;
    if (total !== null && total > maxBytes) {
      controller.abort();
      throw fail(`the server announces ${total} bytes, over the ${maxBytes}-byte limit`);
    }
    await mkdir(dirname(dest), { recursive: true });
    const hash = createHash('sha256');
    const out = createWriteStream(partial);
    trackTempFile(partial);
    let head: Uint8Array | null = null;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        head ??= chunk.subarray(0, 8);
        received += chunk.length;
        if (received > maxBytes) stop(`more than ${maxBytes} bytes, the limit`);
        if (stopReason) break;
        hash.update(chunk);
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        options.onProgress?.(received, total);
      }
    } catch (error) {
      throw fail(stopReason ?? (controller.signal.aborted ? `stalled for ${idle} ms after ${received} bytes` : (error as Error).message), error);
    } finally {
      await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
    }
    if (stopReason) {
      controller.abort();
      throw fail(stopReason);
    }
    if (total !== null && received !== total) throw fail(`received ${received} of ${total} bytes`);
    if (received === 0 || head === null) throw new LwganetError('MODEL_CORRUPT', `The file downloaded from ${url} is empty`);
    if (!looksLikeCheckpoint(head)) throw new LwganetError('MODEL_CORRUPT', `The file downloaded from ${url} is not a PyTorch checkpoint (it starts with ${JSON.stringify(Buffer.from(head).toString('latin1'))})`);
    const digest = hash.digest('hex');
    if (options.sha256 && options.sha256.toLowerCase() !== digest) {
      throw new LwganetError('MODEL_CORRUPT', `The file downloaded from ${url} has sha256 ${digest}, expected ${options.sha256.toLowerCase()}`);
    }
    await rename(partial, dest);
    return digest;
  } finally {
    clearTimeout(timer);
    clearTimeout(deadlineTimer);
    clearInterval(rateTimer);
    await rm(partial, { force: true });
    untrackTempFile(partial);
  }
}
