/**
 * Scenes and servers for the batch tests: seeded PNG scenes (deterministic bytes), a list file,
 * and a private redis-server on a free loopback port (persistence off unless asked), stopped
 * and restartable on the same port.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { pattern } from './image-fixtures.js';

/** Writes `count` seeded RGB PNG scenes of size×size into dir; returns their paths in order. */
export async function writeScenes(dir: string, count: number, size: number, prefix = 'scene'): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = join(dir, `${prefix}-${String(i).padStart(3, '0')}.png`);
    const data = pattern(size, size, 3, 100 + i);
    writeFileSync(file, await sharp(Buffer.from(data), { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
    files.push(file);
  }
  return files;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RedisServer {
  port: number;
  url(queue: string): string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * Starts redis-server on 127.0.0.1:PORT. `persist` turns the append-only file on (in `dir`), so
 * a restart keeps the queue; otherwise nothing is written to disk.
 */
export async function startRedis(dir: string, persist = false): Promise<RedisServer> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  let child: ChildProcess | null = null;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', persist ? 'yes' : 'no', '--appendfsync', 'always', '--dir', dir, '--protected-mode', 'no'];
      const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      proc.on('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`redis-server cannot be started (scripts/setup.sh installs it): ${error.message}`));
      });
      proc.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.on('exit', () => clearTimeout(timer));
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      const proc = child;
      child = null;
      if (!proc || proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  await start();
  return { port, url: (queue) => `redis://127.0.0.1:${port}/${queue}`, stop, start };
}
