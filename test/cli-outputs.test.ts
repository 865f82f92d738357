// CLI output paths are checked before any inference: an output that is a directory, or whose
// directory does not accept new files (read-only for this user), is one line and exit code 1,
// and nothing (not even the mask when only --overlay is unwritable) is written.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, hasStack } from './helpers/cli-run.js';
import { ROOT } from './helpers/image-python.js';
import { exportDenseFixtures } from './helpers/dense-models.js';
import { AS_NOBODY, nobodyCannotRead } from './helpers/as-nobody.js';
import { encode, pattern, tempDir, writeFixture } from './helpers/image-fixtures.js';

let dir: string;
let cleanup: () => void;
let model: string;
let image: string;

// root may write anywhere: the unwritable-directory cases then run the CLI as nobody.
const unreachable = nobodyCannotRead(BIN);

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('lwganet-cli-out-'));
  chmodSync(dir, 0o755);
  model = exportDenseFixtures(dir).seg;
  image = writeFixture(dir, 'scene.png', await encode(pattern(80, 64, 3, 9), 80, 64, 3, 'png'));
  chmodSync(model, 0o644);
  chmodSync(image, 0o644);
});
afterAll(() => cleanup?.());

function cli(args: string[], user: object = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 120_000, ...user }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr });
    });
  });
}

describe('CLI output paths', () => {
  it('--out naming an existing directory: exit 1, one line, before inference', async () => {
    const out = join(dir, 'a-directory.png');
    mkdirSync(out);
    const result = await cli(['segment', image, '--model', model, '--out', out, '--no-progress']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^lwganet: mask file ".*a-directory\.png" is a directory; give a file name\n$/);
    expect(hasStack(result.stderr)).toBe(false);
  });

  it('--out in a directory that does not accept new files: exit 1, one line, before inference', async (ctx) => {
    ctx.skip(unreachable !== null, unreachable ?? '');
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o555 });
    chmodSync(locked, 0o555);
    const result = await cli(['segment', image, '--model', model, '--out', join(locked, 'mask.png'), '--no-progress'], AS_NOBODY);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^lwganet: Cannot write mask file ".*locked\/mask\.png": its directory does not accept new files \(permission denied\)\n$/);
    expect(readdirSync(locked)).toEqual([]);
  });

  it('--overlay in a directory that does not accept new files: exit 1 before the mask is written', async (ctx) => {
    ctx.skip(unreachable !== null, unreachable ?? '');
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const locked = join(dir, 'locked-overlay');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const result = await cli(['segment', image, '--model', model, '--out', join(open, 'mask.png'), '--overlay', join(locked, 'overlay.png'), '--no-progress'], AS_NOBODY);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^lwganet: Cannot write overlay file .*: its directory does not accept new files \(permission denied\)\n$/);
    expect(existsSync(join(open, 'mask.png'))).toBe(false);
  });
});
