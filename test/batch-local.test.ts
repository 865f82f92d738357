// lwganet batch on one machine: scene sources, resume after SIGKILL (each scene done exactly
// once, outputs identical to a clean run), per-scene and up-front failures.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveScenes } from '../lib/batch/inputs.js';
import { runBatch } from '../lib/batch/local-runner.js';
import { readAllRecords } from '../lib/batch/manifest.js';
import { LwganetError } from '../lib/errors.js';
import { writeScenes } from './helpers/batch-fixtures.js';
import { CliProcess } from './helpers/cli-process.js';
import { hasStack, runCli } from './helpers/cli-run.js';
import { exportDenseFixtures } from './helpers/dense-models.js';
import { tempDir } from './helpers/image-fixtures.js';

const tmp = tempDir('lwganet-batch-');
let models: ReturnType<typeof exportDenseFixtures>;
let scenes: string[];
const SCENES = 20;
const TILE = ['--tile', '128', '--overlap', '16'];

beforeAll(async () => {
  models = exportDenseFixtures(tmp.dir);
  scenes = await writeScenes(join(tmp.dir, 'in'), SCENES, 192);
}, 120_000);
afterAll(tmp.cleanup);

/** Every file under dir (relative path → bytes), the manifest and summary excluded. */
function outputs(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.lwganet-batch') walk(path);
      } else if (entry.name !== 'batch-summary.json') files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

describe('scene sources', () => {
  it('reads globs, list files, STAC items (by key or role) and change pairs (CSV or two lists)', async () => {
    const dir = join(tmp.dir, 'sources');
    const [a, b, c] = await writeScenes(join(dir, 'imgs'), 3, 16, 's');
    writeFileSync(join(dir, 'list.txt'), `# a comment\nimgs/s-000.png\n\n${b}\n`);
    expect(await resolveScenes('segment', { list: join(dir, 'list.txt') })).toEqual([
      { id: 's-000', inputs: [a] },
      { id: 's-001', inputs: [b] },
    ]);
    expect((await resolveScenes('detect', { inputs: [join(dir, 'imgs', '*.png')] })).map((s) => s.id)).toEqual(['s-000', 's-001', 's-002']);
    const stac = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', id: 'S2A/2024 tile', assets: { thumbnail: { href: 'imgs/s-000.png', roles: ['thumbnail'] }, visual: { href: 'imgs/s-001.png', roles: ['visual'] } } },
        { type: 'Feature', id: 'S2B', assets: { B04: { href: `file://${c}`, roles: ['data'] } } },
      ],
    };
    writeFileSync(join(dir, 'items.json'), JSON.stringify(stac));
    expect(await resolveScenes('segment', { stac: join(dir, 'items.json') })).toEqual([
      { id: 'S2A/2024_tile', inputs: [b] },
      { id: 'S2B', inputs: [c] },
    ]);
    const byKey = await resolveScenes('segment', { stac: join(dir, 'items.json'), assetKeys: ['thumbnail', 'B04'] });
    expect(byKey.map((s) => s.inputs[0])).toEqual([a, c]);
    await expect(resolveScenes('segment', { stac: join(dir, 'items.json'), assetRole: 'thumbnail' })).rejects.toThrow(/STAC item "S2B" has no an asset with role "thumbnail"|STAC item "S2B" has no/);
    writeFileSync(join(dir, 'pairs.csv'), `before,after,id\nimgs/s-000.png,imgs/s-001.png,p1\n"imgs/s-001.png",imgs/s-002.png,\n`);
    expect(await resolveScenes('change', { pairs: join(dir, 'pairs.csv') })).toEqual([
      { id: 'p1', inputs: [a, b] },
      { id: 's-001', inputs: [b, c] },
    ]);
    writeFileSync(join(dir, 'before.txt'), 'imgs/s-000.png\nimgs/s-001.png\n');
    writeFileSync(join(dir, 'after.txt'), 'imgs/s-002.png\n');
    await expect(resolveScenes('change', { beforeList: join(dir, 'before.txt'), afterList: join(dir, 'after.txt') })).rejects.toThrow(/paired line by line/);
  });

  it('fails up front on unreadable or malformed sources and on two scenes with one output', async () => {
    const dir = join(tmp.dir, 'bad-sources');
    const [a] = await writeScenes(dir, 1, 16, 'x');
    writeFileSync(join(dir, 'x-000.jpg'), 'not used');
    writeFileSync(join(dir, 'broken.json'), '{"type": "FeatureCollection", "features": [');
    writeFileSync(join(dir, 'notitems.json'), '{"type": "Feature"}');
    const code = async (p: Promise<unknown>) => ((await p.then(() => null, (e: unknown) => e)) as LwganetError | null)?.code;
    expect(await code(resolveScenes('segment', { stac: join(dir, 'broken.json') }))).toBe('BATCH_INPUT_INVALID');
    expect(await code(resolveScenes('segment', { stac: join(dir, 'notitems.json') }))).toBe('BATCH_INPUT_INVALID');
    expect(await code(resolveScenes('segment', { stac: join(dir, 'nothere.json') }))).toBe('BATCH_INPUT_INVALID');
    expect(await code(resolveScenes('segment', { list: join(dir, 'nothere.txt') }))).toBe('BATCH_INPUT_INVALID');
    expect(await code(resolveScenes('segment', { inputs: [join(dir, '*.webp')] }))).toBe('BATCH_INPUT_INVALID');
    await expect(resolveScenes('segment', { inputs: [a, join(dir, 'x-000.jpg')] })).rejects.toThrow(/Two scenes would write the same outputs: "x-000"/);
    await expect(resolveScenes('change', { inputs: [a] })).rejects.toThrow(/Change detection takes pairs/);
    writeFileSync(join(dir, 'remote.json'), JSON.stringify({ type: 'FeatureCollection', features: [{ id: 'r', assets: { visual: { href: 'https://example.com/r.tif' } } }] }));
    await expect(resolveScenes('segment', { stac: join(dir, 'remote.json') })).rejects.toThrow(/only local \(or mounted shared\) files can be read/);
  });
});

describe('batch progress on a terminal', () => {
  it('draws a bar with ETA on a TTY and prints one line per scene elsewhere', async () => {
    const { PassThrough } = await import('node:stream');
    const { batchReporter } = await import('../lib/cli/batch-report.js');
    const feed = (tty: boolean) => {
      const stream = Object.assign(new PassThrough(), { isTTY: tty, columns: 80 });
      let drawn = '';
      let lines = '';
      stream.on('data', (c: Buffer) => (drawn += c.toString()));
      const io = { out: () => {}, err: (t: string) => void (lines += t), progressStream: stream, env: {} };
      const reporter = batchReporter(io, false, true);
      reporter.onEvent({ type: 'start', task: 'segment', model: 'm.pt', out: 'o', total: 2, workers: 1 });
      reporter.onEvent({ type: 'scene-done', id: 'a', outputs: ['a.png'], ms: 5, attempt: 1, worker: 'w' });
      reporter.onEvent({ type: 'scene-failed', id: 'b', code: 'IMAGE_DECODE', message: 'bad', attempt: 1, final: true, worker: 'w' });
      reporter.stop();
      return { drawn, lines };
    };
    const tty = feed(true);
    expect(tty.drawn).toMatch(/\/2 scenes .*ETA/);
    expect(tty.drawn).toMatch(/failed b: bad \[IMAGE_DECODE\]/);
    expect(tty.lines).toBe('');
    const plain = feed(false);
    expect(plain.drawn).toBe('');
    expect(plain.lines).toMatch(/\[1\/2\] done a \(5 ms\)\n\[2\/2\] failed b: bad \[IMAGE_DECODE\]/);
  });
});

describe('lwganet batch on one machine', () => {
  it('resumes after SIGKILL: every scene done exactly once, outputs identical to a clean run', async () => {
    const glob = join(tmp.dir, 'in', '*.png');
    const clean = join(tmp.dir, 'out-clean');
    const resumed = join(tmp.dir, 'out-resumed');
    const first = new CliProcess(['batch', 'segment', glob, '--model', models.seg, '--out', resumed, ...TILE, '--workers', '1', '--json']);
    await first.until((events) => events.filter((e) => e.type === 'scene-done').length >= 8);
    first.child.kill('SIGKILL');
    await first.exited;
    const doneFirst = first.ids('scene-done');
    expect(doneFirst.length).toBeGreaterThanOrEqual(8);
    expect(doneFirst.length).toBeLessThan(SCENES);

    const second = new CliProcess(['batch', 'segment', glob, '--model', models.seg, '--out', resumed, ...TILE, '--workers', '1', '--json']);
    expect((await second.exited).code).toBe(0);
    const doneSecond = second.ids('scene-done');
    const skipped = second.ids('scene-skipped');
    // Each scene ran in exactly one of the two runs; what the first finished, the second skipped.
    expect(doneSecond.filter((id) => doneFirst.includes(id))).toEqual([]);
    for (const id of doneFirst) expect(skipped).toContain(id);
    expect(new Set([...doneSecond, ...skipped]).size).toBe(SCENES);
    expect(doneSecond.length + skipped.length).toBe(SCENES);
    const summary = second.events.find((e) => e.type === 'summary')!.summary as { done: number; skipped: number; failed: number };
    expect(summary).toMatchObject({ done: doneSecond.length, skipped: skipped.length, failed: 0 });

    const cleanRun = await runCli(['batch', 'segment', glob, '--model', models.seg, '--out', clean, ...TILE]);
    expect(cleanRun.code).toBe(0);
    expect(cleanRun.stdout).toMatch(/20 scenes: 20 done, 0 already done, 0 failed/);
    expect(cleanRun.stderr).toMatch(/\[20\/20\] done scene-\d+/); // one line per scene off a terminal
    const a = outputs(clean);
    const b = outputs(resumed);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort()); // no temporary file left behind either
    expect(a.size).toBe(SCENES);
    for (const [file, bytes] of a) expect(b.get(file)!.equals(bytes), file).toBe(true);
    expect((await readAllRecords(resumed)).filter((r) => r.state === 'done')).toHaveLength(SCENES);
    expect(JSON.parse(readFileSync(join(clean, 'batch-summary.json'), 'utf8'))).toMatchObject({ total: SCENES, done: SCENES, failed: 0 });
  }, 240_000);

  it('SIGTERM: no new scene starts, the running ones finish and are recorded, the summary says what was not run', async () => {
    const out = join(tmp.dir, 'out-term');
    const run = new CliProcess(['batch', 'segment', join(tmp.dir, 'in', '*.png'), '--model', models.seg, '--out', out, ...TILE, '--workers', '1', '--json']);
    await run.until((events) => events.filter((e) => e.type === 'scene-done').length >= 3);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(130);
    const summary = run.events.find((e) => e.type === 'summary')!.summary as { done: number; notRun: number; interrupted: boolean };
    expect(summary.interrupted).toBe(true);
    expect(summary.notRun).toBeGreaterThan(0);
    // Every scene that started finished and is in the manifest; nothing half-written is left.
    expect(run.ids('scene-done').sort()).toEqual(run.ids('scene-start').sort());
    expect((await readAllRecords(out)).map((r) => r.id).sort()).toEqual(run.ids('scene-done').sort());
    expect([...outputs(out).keys()].sort()).toEqual(run.ids('scene-done').map((id) => `${id}.png`).sort());
  }, 120_000);

  it('redoes a scene whose input changed or whose output went missing', async () => {
    const dir = join(tmp.dir, 'redo');
    const files = await writeScenes(join(dir, 'in'), 3, 128);
    const run = () => runBatch({ task: 'segment', model: models.seg, out: join(dir, 'out'), inputs: files, options: { tileSize: 64, overlap: 16 }, pool: { workers: 1 } });
    expect(await run()).toMatchObject({ done: 3, skipped: 0 });
    expect(await run()).toMatchObject({ done: 0, skipped: 3 });
    await writeScenes(join(dir, 'in'), 1, 96); // scene-000 rewritten: other size
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'out', 'scene-002.png'));
    const third = await run();
    expect(third).toMatchObject({ done: 2, skipped: 1 });
  }, 120_000);

  it('records per-scene failures without stopping, and fails up front on what no scene could survive', async () => {
    const dir = join(tmp.dir, 'bad');
    const good = await writeScenes(join(dir, 'in'), 2, 128);
    writeFileSync(join(dir, 'in', 'corrupt.png'), 'not a png at all');
    const missing = join(dir, 'in', 'missing.png');
    const result = await runCli(['batch', 'segment', ...good, join(dir, 'in', 'corrupt.png'), missing, '--model', models.seg, '--out', join(dir, 'out'), '--tile', '64']);
    expect(result.code).toBe(1);
    expect(hasStack(result.stderr)).toBe(false);
    expect(result.stdout).toMatch(/4 scenes: 2 done, 0 already done, 2 failed/);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'batch-summary.json'), 'utf8')) as { failures: Array<{ id: string; code: string }> };
    expect(summary.failures.map((f) => [f.id, f.code]).sort()).toEqual([['corrupt', 'IMAGE_DECODE'], ['missing', 'INPUT_NOT_FOUND']]);
    expect((await readAllRecords(join(dir, 'out'))).filter((r) => r.state === 'failed').map((r) => r.error?.code).sort()).toEqual(['IMAGE_DECODE', 'INPUT_NOT_FOUND']);

    const unknown = await runCli(['batch', 'segmentt', ...good, '--model', models.seg, '--out', join(dir, 'never')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown task "segmentt": use one of classify, segment, change, detect/);
    // Up front, before any output exists: what no scene could survive.
    const out = join(dir, 'never');
    const upFront = (options: Partial<Parameters<typeof runBatch>[0]>) =>
      runBatch({ task: 'segment', model: models.seg, out, inputs: good, ...options }).then(() => null, (e: unknown) => e as LwganetError);
    writeFileSync(join(dir, 'items.json'), '{ not json');
    expect(await upFront({ inputs: undefined, stac: join(dir, 'items.json') })).toMatchObject({ code: 'BATCH_INPUT_INVALID', message: expect.stringMatching(/is not JSON/) });
    expect(await upFront({ model: join(dir, 'nope.pt') })).toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect(await upFront({ task: 'change', inputs: undefined, pairs: join(dir, 'nope.csv'), model: models.change })).toMatchObject({ code: 'BATCH_INPUT_INVALID' });
    expect(await upFront({ model: models.change })).toMatchObject({ code: 'TASK_MISMATCH' });
    expect(await upFront({ task: 'segmentt' })).toBeInstanceOf(RangeError);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('loads a model given by URL once: downloaded into the cache a single time', async () => {
    const { createServer } = await import('node:http');
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.end(readFileSync(models.seg));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const saved = process.env.LWGANET_CACHE;
    process.env.LWGANET_CACHE = join(tmp.dir, 'cache');
    try {
      const dir = join(tmp.dir, 'url');
      const files = await writeScenes(join(dir, 'in'), 3, 64);
      const url = `http://127.0.0.1:${port}/seg.pt`;
      expect(await runBatch({ task: 'segment', model: url, out: join(dir, 'out'), inputs: files, options: { tileSize: 64 } })).toMatchObject({ done: 3, failed: 0 });
      expect(requests).toBe(1);
      expect(await runBatch({ task: 'segment', model: url, out: join(dir, 'out2'), inputs: files, options: { tileSize: 64 } })).toMatchObject({ done: 3 });
      expect(requests).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.LWGANET_CACHE;
      else process.env.LWGANET_CACHE = saved;
      server.close();
    }
  }, 60_000);

  it('runs change detection over pairs', async () => {
    const dir = join(tmp.dir, 'change');
    const before = await writeScenes(join(dir, 'a'), 2, 128, 't');
    const after = await writeScenes(join(dir, 'b'), 2, 128, 't');
    writeFileSync(join(dir, 'pairs.csv'), before.map((f, i) => `${f},${after[i]}`).join('\n'));
    const events: string[] = [];
    const summary = await runBatch({ task: 'change', model: models.change, out: join(dir, 'out'), pairs: join(dir, 'pairs.csv'), options: { tileSize: 64 }, onEvent: (e) => events.push(e.type) });
    expect(summary).toMatchObject({ total: 2, done: 2, failed: 0 });
    expect(readdirSync(join(dir, 'out')).filter((f) => f.endsWith('.png')).sort()).toEqual(['t-000.png', 't-001.png']);
    expect(events[0]).toBe('start');
    expect(events.at(-1)).toBe('summary');
  }, 60_000);
});
