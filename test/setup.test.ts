// lwganet setup's pieces that need no download: the torch pin, the Python search, the LibTorch
// choice at load (fake LibTorch directories), and the failures a user meets first.
// The full provisioning (pip install torch into a fresh HOME) runs in test/packaging.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseLibtorch, type AddonBuild } from '../lib/native/binding.js';
import { LwganetError } from '../lib/errors.js';
import { findSetupPython } from '../lib/setup/find-python.js';
import { setup } from '../lib/setup/setup.js';
import { TORCH_VERSION } from '../lib/setup/torch-pin.js';
import { tempDir } from './helpers/image-fixtures.js';

const ROOT = path.join(__dirname, '..');
const tmp = tempDir('lwganet-setup-');
afterAll(() => tmp.cleanup());

/** A directory that looks like a pip torch's lib/ of `version` (no real libraries). */
function fakeTorch(name: string, version: string, cuda: boolean): string {
  const torch = path.join(tmp.dir, name, 'torch');
  fs.mkdirSync(path.join(torch, 'lib'), { recursive: true });
  fs.writeFileSync(path.join(torch, 'version.py'), `__version__ = '${version}'\n`);
  fs.writeFileSync(path.join(torch, 'lib', 'libtorch_cpu.so'), '');
  if (cuda) fs.writeFileSync(path.join(torch, 'lib', 'libtorch_cuda.so'), '');
  return path.join(torch, 'lib');
}

/** A python3 stand-in reporting `version`. */
function fakePython(version: string): string {
  const file = path.join(tmp.dir, `python-${version}`);
  fs.writeFileSync(file, `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
  return file;
}

const NO_PATH = { PATH: path.join(tmp.dir, 'empty-bin'), HOME: path.join(tmp.dir, 'home') };

describe('the torch setup installs', () => {
  it('is the project\'s pinned torch', () => {
    const pin = fs.readFileSync(path.join(ROOT, 'requirements-ci.txt'), 'utf8').match(/^torch==(\S+)$/m)?.[1];
    expect(TORCH_VERSION).toBe(pin);
  });
});

describe('choosing the LibTorch at load', () => {
  // Built against a CUDA torch, as the prebuild is: it still links only LibTorch's CPU libraries.
  const build: AddonBuild = { file: '/x/lwganet.node', preloader: '/x/p.node', libtorch: '2.15.0+cu132' };

  it('skips a LibTorch of another release and takes the next of its release, CPU-only or with CUDA', () => {
    const old = fakeTorch('old', '2.9.1+cu126', true);
    const cpu = fakeTorch('cpu', '2.15.0+cpu', false);
    const good = fakeTorch('good', '2.15.0+cu130', true);
    const viaEnv = chooseLibtorch({ ...build, recorded: { libdir: good, source: 'recorded' } }, { ...NO_PATH, LIBTORCH: path.dirname(old) });
    expect(viaEnv.chosen?.libdir).toBe(good);
    expect(viaEnv.seen.join('\n')).toContain('LibTorch 2.9.1+cu126 in');
    // The CPU torch `lwganet setup` installs by default fits the addon built against the CUDA one.
    expect(chooseLibtorch({ ...build, recorded: { libdir: cpu, source: 'recorded' } }, NO_PATH).chosen?.libdir).toBe(cpu);
  });

  it('finds the venv of lwganet setup in the XDG cache', () => {
    const cache = path.join(tmp.dir, 'xdg');
    const lib = path.join(cache, 'lwganet-node', 'python', 'lib', 'python3.11', 'site-packages', 'torch', 'lib');
    fs.mkdirSync(lib, { recursive: true });
    fs.writeFileSync(path.join(lib, '..', 'version.py'), "__version__ = '2.15.0+cu132'\n");
    fs.writeFileSync(path.join(lib, 'libtorch_cpu.so'), '');
    fs.writeFileSync(path.join(lib, 'libtorch_cuda.so'), '');
    const { chosen } = chooseLibtorch(build, { ...NO_PATH, XDG_CACHE_HOME: cache });
    expect(chosen?.libdir).toBe(lib);
    expect(chosen?.source).toContain('the venv of "lwganet setup"');
  });
});

describe('setup without a usable Python', () => {
  it('names what it found and how to install Python 3.10+', () => {
    let error: unknown;
    try {
      findSetupPython(NO_PATH, fakePython('3.8'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LwganetError);
    expect((error as LwganetError).code).toBe('SETUP_FAILED');
    expect((error as Error).message).toContain('Python 3.8, too old');
    expect((error as Error).message).toContain('apt-get install python3 python3-venv');
    expect((error as Error).message).toContain('brew install python@3.12');
    expect(findSetupPython(NO_PATH, fakePython('3.12'))).toEqual({ command: fakePython('3.12'), version: '3.12' });
  });

  it('fails setup() before touching the cache when no python3 is on PATH', async () => {
    const cache = path.join(tmp.dir, 'cache-no-python');
    const error = await setup({ env: { ...NO_PATH, LWGANET_CACHE: cache }, log: () => {}, stdio: 'ignore' }).then(() => null, (e: unknown) => e);
    expect((error as LwganetError).code).toBe('SETUP_FAILED');
    expect((error as Error).message).toContain('python3: not found');
    expect(fs.existsSync(path.join(cache, 'python'))).toBe(false);
  });

  it('refuses a CUDA flavour that is not one', async () => {
    await expect(setup({ cuda: '12.6', env: NO_PATH, log: () => {} })).rejects.toThrow(RangeError);
  });
});
