// Hostile or damaged model archives: a zip-bomb metadata.json, flipped bytes in the weights, an
// unreadable file, and metadata.json errors that name the field. Each fails with one clear code
// before LibTorch reads the archive.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LwganetError, loadModel, loadModelSync } from '../lib/index.js';
import { METADATA_MAX_BYTES } from '../lib/model/model-archive.js';
import { AS_NOBODY, nobodyCannotRead } from './helpers/as-nobody.js';
import { fixture } from './helpers/fixtures.js';
import { runPython } from './helpers/image-python.js';

const dir = mkdtempSync(path.join(tmpdir(), 'lwganet-integrity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(LwganetError);
  return { code: (error as LwganetError).code, message: (error as Error).message };
}

// Rewrites with_metadata.pt once per job, replacing extra/metadata.json (one Python run for all).
const REWRITE_METADATA = `
import json, sys, zipfile
src, jobs = sys.argv[1], json.loads(sys.argv[2])
with zipfile.ZipFile(src) as zin:
    entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
for job in jobs:
    with zipfile.ZipFile(job['out'], 'w') as zout:
        for info, data in entries:
            if not info.filename.endswith('extra/metadata.json'):
                zout.writestr(info, data)
                continue
            entry = zipfile.ZipInfo(info.filename)
            entry.compress_type = zipfile.ZIP_DEFLATED if job['deflate'] else zipfile.ZIP_STORED
            with zout.open(entry, 'w') as f:
                if 'zerosMiB' in job:
                    chunk = bytes(1 << 20)
                    for _ in range(job['zerosMiB']):
                        f.write(chunk)
                else:
                    f.write(job['text'].encode())
`;

interface MetadataJob {
  name: string;
  deflate: boolean;
  zerosMiB?: number;
  text?: string;
}

/** Paths of with_metadata.pt copies whose extra/metadata.json is each job's content. */
function withMetadata(jobs: MetadataJob[]): string[] {
  const withPaths = jobs.map((job) => ({ ...job, out: path.join(dir, job.name) }));
  runPython(['-c', REWRITE_METADATA, fixture('with_metadata.pt'), JSON.stringify(withPaths)]);
  return withPaths.map((job) => job.out);
}

function metadataText(): Record<string, unknown> {
  const text = runPython(['-c', "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.read([n for n in z.namelist() if n.endswith('extra/metadata.json')][0]).decode())", fixture('with_metadata.pt')]);
  return JSON.parse(text) as Record<string, unknown>;
}

describe('model archive integrity', () => {
  it('refuses a zip-bomb metadata.json (32 MiB of zeros deflated into 32 KiB) before inflating it: METADATA_INVALID, memory flat', async () => {
    const [bomb] = withMetadata([{ name: 'bomb.pt', zerosMiB: 32, deflate: true }]);
    expect(readFileSync(bomb!).byteLength).toBeLessThan(256 * 1024);
    const before = process.memoryUsage().rss;
    const failure = await codeOf(loadModel(bomb!));
    expect(failure.code).toBe('METADATA_INVALID');
    expect(failure.message).toMatch(new RegExp(`extra/metadata.json would inflate to 33554432 bytes, over the ${METADATA_MAX_BYTES}-byte limit`));
    expect(() => loadModelSync(bomb!)).toThrow(/over the \d+-byte limit/);
    expect(process.memoryUsage().rss - before).toBeLessThan(24 * 1024 * 1024);
  });

  it('refuses an archive whose weights were altered (4 KiB flipped, CRC-32 mismatch): MODEL_CORRUPT naming the entry', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('conv.pt')));
    const middle = Math.floor(bytes.byteLength / 2);
    for (let i = middle; i < middle + 4096; i++) bytes[i] = bytes[i]! ^ 0xff;
    const damaged = path.join(dir, 'flipped.pt');
    writeFileSync(damaged, bytes);
    const failure = await codeOf(loadModel(damaged));
    expect(failure.code).toBe('MODEL_CORRUPT');
    expect(failure.message).toMatch(/flipped\.pt is damaged: entry archive\/(data|constants)\/\d+ fails its CRC-32 check/);
    expect((await codeOf(loadModel(bytes))).message).toMatch(/Model buffer \(\d+ bytes\) is damaged: entry .* fails its CRC-32 check/);
    // The intact archive still loads.
    await expect(loadModel(fixture('conv.pt'))).resolves.toBeDefined();
  });

  it('reports an unreadable model file (chmod 000) as MODEL_UNREADABLE, not as a corrupt model', async (ctx) => {
    const unreachable = nobodyCannotRead(path.join(__dirname, '..', 'dist', 'index.js'));
    ctx.skip(unreachable !== null, unreachable ?? '');
    const locked = path.join(dir, 'locked');
    rmSync(locked, { recursive: true, force: true });
    execFileSync('mkdir', ['-m', '755', locked]);
    const file = path.join(locked, 'model.pt');
    copyFileSync(fixture('identity.pt'), file);
    chmodSync(file, 0o000);
    const source = `
      require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'index.js'))}).loadModel(${JSON.stringify(file)})
        .then(() => console.log('loaded'), (e) => console.log(e.code + ': ' + e.message));`;
    // root reads any file: ask as nobody then.
    const out = execFileSync(process.execPath, ['-e', source], { ...AS_NOBODY, encoding: 'utf8', cwd: tmpdir() });
    expect(out).toBe(`MODEL_UNREADABLE: Model file ${file} cannot be read: permission denied (check its permissions and owner)\n`);
  });

  it('names the field and what was expected in metadata.json errors', async () => {
    const base = metadataText();
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['formatVersion of the wrong type', { ...base, formatVersion: 'one' }, /formatVersion must be a positive integer \(1 for this package\), got "one"/],
      ['formatVersion missing', { ...base, formatVersion: undefined }, /formatVersion is missing \(expected the integer 1\)/],
      ['formatVersion newer', { ...base, formatVersion: 7 }, /formatVersion 7 is newer than this package understands/],
      ['task unknown', { ...base, task: 'painting' }, /task must be one of .*, got "painting"/],
      ['input.channels wrong', { ...base, input: { ...(base.input as object), channels: 'three' } }, /input.channels must be a positive integer, got "three"/],
    ];
    const files = withMetadata(cases.map(([what, metadata]) => ({ name: `meta-${what.replace(/\W+/g, '-')}.pt`, text: JSON.stringify(metadata), deflate: false })));
    for (const [i, [what, , message]] of cases.entries()) {
      const failure = await codeOf(loadModel(files[i]!));
      expect({ what, code: failure.code }).toEqual({ what, code: 'METADATA_INVALID' });
      expect(failure.message).toMatch(message);
    }
  });
});
