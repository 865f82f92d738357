// lwganet batch --queue / lwganet worker on BullMQ with a private redis-server: a worker
// SIGKILLed mid-job (its job recovered by another), a poison scene failing after N attempts,
// graceful SIGTERM, Redis restarted mid-run, and bad inputs that must never hang a queue.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAllRecords } from '../lib/batch/manifest.js';
import { parseQueueAddress } from '../lib/batch/queue-address.js';
import { queueStatus, type QueueStatus } from '../lib/batch/queue-status.js';
import { freePort, startRedis, writeScenes, type RedisServer } from './helpers/batch-fixtures.js';
import { CliProcess, type CliEvent } from './helpers/cli-process.js';
import { hasStack, runCli } from './helpers/cli-run.js';
import { exportDenseFixtures } from './helpers/dense-models.js';
import { tempDir } from './helpers/image-fixtures.js';

const tmp = tempDir('lwganet-queue-');
let models: ReturnType<typeof exportDenseFixtures>;
let redis: RedisServer;
const workers: CliProcess[] = [];
// Short lock and stalled-check periods so a dead worker's job comes back within seconds (the lock
// still outlasts a few seconds of starvation on a loaded machine, which would make a live job look dead).
const FAST_RECOVERY = ['--lock-ms', '4000', '--stalled-ms', '1000'];

beforeAll(async () => {
  models = exportDenseFixtures(tmp.dir);
  redis = await startRedis(join(tmp.dir, 'redis'));
}, 120_000);

afterAll(async () => {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await redis?.stop();
  tmp.cleanup();
});

function startWorker(url: string, extra: string[] = []): CliProcess {
  const worker = new CliProcess(['worker', '--queue', url, '--concurrency', '1', '--workers', '1', '--json', ...FAST_RECOVERY, ...extra]);
  workers.push(worker);
  return worker;
}

async function drained(url: string, expectedJobs: number, timeoutMs = 120_000): Promise<QueueStatus> {
  const address = parseQueueAddress(url);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await queueStatus(address).catch(() => null);
    if (status && status.pending === 0 && status.counts.completed + status.counts.failed === expectedJobs) return status;
    if (Date.now() > deadline) throw new Error(`queue not drained: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** scene id → how many times a worker reported it done. */
function doneCounts(processes: CliProcess[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of processes) for (const id of p.ids('scene-done')) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

async function stopGracefully(processes: CliProcess[]): Promise<void> {
  for (const p of processes) p.child.kill('SIGTERM');
  for (const p of processes) {
    const exit = await p.exited;
    expect(exit.code, p.stderr).toBe(0);
    expect(p.events.at(-1)?.type).toBe('worker-stopped');
  }
}

describe('lwganet batch --queue with lwganet worker', () => {
  it('3 workers: a SIGKILLed worker\'s job is recovered, every scene completes once, a poison scene fails after N attempts', async () => {
    const url = redis.url('recover');
    const files = await writeScenes(join(tmp.dir, 'in1'), 9, 256);
    const poison = join(tmp.dir, 'in1', 'poison.png');
    writeFileSync(poison, 'not an image');
    const out = join(tmp.dir, 'out1');
    const pool = [startWorker(url), startWorker(url), startWorker(url)];
    await Promise.all(pool.map((w) => w.until((events) => events.some((e) => e.type === 'worker-ready'))));
    const produced = await runCli(['batch', 'segment', ...files, poison, '--model', models.seg, '--out', out, '--tile', '64', '--queue', url, '--attempts', '2', '--backoff-ms', '200']);
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stdout).toMatch(/10 scenes queued/);

    const [victim, ...survivors] = pool;
    await victim.until((events) => events.some((e) => e.type === 'scene-start' && e.id !== 'poison'));
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killed = victim.events.filter((e) => e.type === 'scene-start').at(-1)!.id!;
    expect(victim.ids('scene-done')).not.toContain(killed);

    const status = await drained(url, 10);
    expect(status.counts).toMatchObject({ completed: 9, failed: 1, active: 0, waiting: 0 });
    const counts = doneCounts(pool);
    expect([...counts.keys()].sort()).toEqual(files.map((_, i) => `scene-${String(i).padStart(3, '0')}`));
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(survivors.some((w) => w.ids('scene-done').includes(killed))).toBe(true);

    // The poison scene: tried twice (once per attempt), then failed for good with its error recorded.
    const poisonAttempts = pool.flatMap((w) => w.events).filter((e: CliEvent) => e.type === 'scene-failed' && e.id === 'poison');
    expect(poisonAttempts.map((e) => [e.attempt, e.final, e.code]).sort()).toEqual([[1, false, 'IMAGE_DECODE'], [2, true, 'IMAGE_DECODE']]);
    const cli = await runCli(['batch', 'status', '--queue', url, '--json']);
    expect(cli.code).toBe(0);
    const shown = JSON.parse(cli.stdout) as QueueStatus;
    expect(shown.failures).toHaveLength(1);
    expect(shown.failures[0]).toMatchObject({ id: 'poison', attempts: 2 });
    expect(shown.failures[0].error).toMatch(/\[IMAGE_DECODE\]/);
    const records = await readAllRecords(out);
    expect(records.filter((r) => r.state === 'done')).toHaveLength(9);
    expect(records.find((r) => r.id === 'poison')).toMatchObject({ state: 'failed', attempts: 2, error: { code: 'IMAGE_DECODE' } });

    // Enqueuing the same batch again adds no job (job ids are derived from batch key and scene).
    expect((await runCli(['batch', 'segment', ...files, poison, '--model', models.seg, '--out', out, '--tile', '64', '--queue', url])).code).toBe(0);
    expect((await queueStatus(parseQueueAddress(url))).counts).toMatchObject({ completed: 9, failed: 1, waiting: 0 });
    await stopGracefully(survivors);
  }, 240_000);

  it('SIGTERM: a worker finishes its running scene, takes no other, and exits 0', async () => {
    const url = redis.url('graceful');
    const files = await writeScenes(join(tmp.dir, 'in2'), 3, 256);
    const worker = startWorker(url);
    await worker.until((events) => events.some((e) => e.type === 'worker-ready'));
    expect((await runCli(['batch', 'segment', ...files, '--model', models.seg, '--out', join(tmp.dir, 'out2'), '--tile', '64', '--queue', url])).code).toBe(0);
    await worker.until((events) => events.some((e) => e.type === 'scene-start'));
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    const started = worker.ids('scene-start');
    expect(started).toHaveLength(1);
    expect(worker.ids('scene-done')).toEqual(started);
    expect((await queueStatus(parseQueueAddress(url))).counts).toMatchObject({ completed: 1, waiting: 2, active: 0 });
  }, 120_000);

  it('Redis restarted mid-run: workers reconnect and the run completes, each scene once', async () => {
    const persistent = await startRedis(join(tmp.dir, 'redis-aof'), true);
    try {
      const url = persistent.url('restart');
      const files = await writeScenes(join(tmp.dir, 'in3'), 8, 256);
      const pool = [startWorker(url), startWorker(url)];
      await Promise.all(pool.map((w) => w.until((events) => events.some((e) => e.type === 'worker-ready'))));
      expect((await runCli(['batch', 'segment', ...files, '--model', models.seg, '--out', join(tmp.dir, 'out3'), '--tile', '64', '--queue', url])).code).toBe(0);
      await pool[0].until(() => doneCounts(pool).size >= 2);
      await persistent.stop();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await persistent.start();
      const status = await drained(url, 8);
      expect(status.counts).toMatchObject({ completed: 8, failed: 0 });
      const counts = doneCounts(pool);
      expect(counts.size).toBe(8);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect((await readAllRecords(join(tmp.dir, 'out3'))).filter((r) => r.state === 'done')).toHaveLength(8);
      await stopGracefully(pool);
    } finally {
      await persistent.stop();
    }
  }, 240_000);

  it('bad inputs: unreachable Redis fails at once; a model a worker cannot load and a foreign job fail with their errors, never hang', async () => {
    const nobody = `redis://127.0.0.1:${await freePort()}/q`;
    const files = await writeScenes(join(tmp.dir, 'in4'), 2, 64);
    const producer = await runCli(['batch', 'segment', ...files, '--model', models.seg, '--out', join(tmp.dir, 'out4'), '--queue', nobody], {}, 30_000);
    expect(producer.code).toBe(1);
    expect(producer.stderr).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/q cannot be reached.*\[QUEUE_UNAVAILABLE\]/);
    expect(hasStack(producer.stderr)).toBe(false);
    const lonely = await runCli(['worker', '--queue', nobody], {}, 30_000);
    expect(lonely.code).toBe(1);
    expect(lonely.stderr).toMatch(/\[QUEUE_UNAVAILABLE\]/);
    expect((await runCli(['worker', '--queue', 'http://127.0.0.1/q'])).code).toBe(2);
    expect((await runCli(['batch', 'segmentt', ...files, '--model', models.seg, '--out', join(tmp.dir, 'out4'), '--queue', nobody])).code).toBe(2);

    const url = redis.url('bad');
    const broken = join(tmp.dir, 'broken.pt');
    writeFileSync(broken, readFileSync(models.seg).subarray(0, 500));
    expect((await runCli(['batch', 'segment', ...files, '--model', broken, '--out', join(tmp.dir, 'out4'), '--queue', url, '--attempts', '2', '--backoff-ms', '100'])).code).toBe(0);
    const queue = new Queue(parseQueueAddress(url).name, { connection: { host: '127.0.0.1', port: redis.port } });
    await queue.add('scene', { something: 'else' });
    await queue.close();
    const worker = startWorker(url);
    const status = await drained(url, 3, 60_000);
    expect(status.counts).toMatchObject({ completed: 0, failed: 3 });
    const errors = status.failures.map((f) => f.error);
    expect(errors.filter((e) => /is not an lwganet batch scene.*\[BATCH_INPUT_INVALID\]/.test(e))).toHaveLength(1);
    expect(errors.filter((e) => /broken\.pt is not a loadable TorchScript archive.*\[MODEL_CORRUPT\]/.test(e))).toHaveLength(2);
    expect(status.failures.filter((f) => f.id.startsWith('scene-')).every((f) => f.attempts === 2)).toBe(true);
    await stopGracefully([worker]);
  }, 120_000);
});
