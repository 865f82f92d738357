// Temporary output files: removed when the CLI is stopped by SIGINT/SIGTERM mid-write, and
// those a killed process left behind (kill -9) swept by the next write of the same output.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAtomically } from '../lib/output/atomic.js';

const dir = mkdtempSync(path.join(tmpdir(), 'lwganet-temp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DIST = path.join(__dirname, '..', 'dist');

describe('temporary output files', () => {
  it('a later write of the same output sweeps the temporary files of dead processes, not of live ones', async () => {
    const out = path.join(dir, 'mask.png');
    // pid 2^22+1 is above Linux's pid_max default range in containers; pid 1 always runs.
    const dead = path.join(dir, `.mask.png.${2 ** 22 + 1}.0badc0de.tmp`);
    const alive = path.join(dir, '.mask.png.1.0badc0de.tmp');
    const other = path.join(dir, `.other.png.${2 ** 22 + 1}.0badc0de.tmp`);
    for (const file of [dead, alive, other]) writeFileSync(file, 'partial');
    await writeAtomically(out, async (handle) => void (await handle.write('whole')));
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(alive)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(existsSync(out)).toBe(true);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s during a write removes the temporary file and ends the process by that signal', async (signal) => {
    const sub = mkdtempSync(path.join(dir, 'signal-'));
    const source = `
      const { removeTempFilesOnSignals } = require(${JSON.stringify(path.join(DIST, 'output', 'temp-files.js'))});
      const { writeAtomically } = require(${JSON.stringify(path.join(DIST, 'output', 'atomic.js'))});
      removeTempFilesOnSignals();
      writeAtomically(${JSON.stringify(path.join(sub, 'mask.png'))}, async (handle) => {
        await handle.write('half a mask');
        process.send('writing');
        await new Promise(() => setInterval(() => {}, 1000));
      });`;
    const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((resolve) => child.once('message', resolve));
    expect(readdirSync(sub).filter((f) => f.endsWith('.tmp'))).toHaveLength(1);
    const ending = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
    child.kill(signal);
    expect(await ending).toEqual({ code: null, signal });
    expect(readdirSync(sub)).toEqual([]);
  });
});
