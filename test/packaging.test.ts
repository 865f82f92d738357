// `npm install` of the packed tarball, in fresh projects that cannot see the source tree:
// once with the shipped prebuild, once forcing a source build, and with a broken LibTorch.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './helpers/fixtures.js';

const ROOT = path.join(__dirname, '..');
const VENV_BIN = path.join(ROOT, '.venv', 'bin');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lwganet-pack-'));
// The venv's python3 first on PATH: that is how a user with a pip torch installs the package.
const installEnv = { ...process.env, PATH: `${VENV_BIN}:${process.env.PATH}`, npm_config_audit: 'false', npm_config_fund: 'false' };
// What a consumer runs with afterwards: no venv, no source tree.
const consumerEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: os.homedir() };
let tarball = '';

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const result = spawnSync('npm', args, { cwd, env, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

function newProject(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  fs.copyFileSync(fixture('add.pt'), path.join(dir, 'add.pt'));
  fs.copyFileSync(fixture('with_metadata.pt'), path.join(dir, 'model.pt'));
  return dir;
}

/** Uses the installed package through the public API (ESM and CommonJS) and the CLI. */
function useInstalledPackage(dir: string): void {
  const esm = `import { loadModel, Tensor } from 'lwganet-node';
    const m = await loadModel('add.pt');
    const out = await m.run([new Tensor('float32', [1, 2]), new Tensor('float32', [10, 20])]);
    console.log(JSON.stringify(Array.from(out.data)));`;
  fs.writeFileSync(path.join(dir, 'use.mjs'), esm);
  expect(execFileSync('node', ['use.mjs'], { cwd: dir, env: consumerEnv, encoding: 'utf8' }).trim()).toBe('[11,22]');
  const cjs = `const { loadModelSync, devices } = require('lwganet-node'); const m = loadModelSync('model.pt');
    console.log(JSON.stringify({ task: m.metadata.task, libtorch: devices().libtorchVersion }));`;
  expect(JSON.parse(execFileSync('node', ['-e', cjs], { cwd: dir, env: consumerEnv, encoding: 'utf8' }))).toMatchObject({ task: 'classification' });
  const cli = spawnSync(path.join(dir, 'node_modules', '.bin', 'lwganet'), ['info', 'model.pt'], { cwd: dir, env: consumerEnv, encoding: 'utf8' });
  expect(cli.status, cli.stderr).toBe(0);
  expect(cli.stdout).toContain('fixture_identity');
}

beforeAll(() => {
  const packed = npm(['pack', '--pack-destination', work], ROOT, installEnv);
  expect(packed.status, packed.output).toBe(0);
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  tarball = path.join(work, `lwganet-node-${version}.tgz`);
  expect(fs.existsSync(tarball), packed.output).toBe(true);
}, 600_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('npm install of the packed package', () => {
  it('ships the runtime, prebuild, native sources and exporter, and no tests or build junk', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const expected of ['package/dist/index.js', 'package/dist/index.d.ts', 'package/binding.d.ts', 'package/CMakeLists.txt',
      'package/native/addon.cc', 'package/prebuilds/linux-x64/lwganet-node.node', 'package/prebuilds/linux-x64/lwganet-node.json',
      'package/python/lwganet/export.py', 'package/python/lwganet/metadata.schema.json',
      'package/python/lwganet/data/dota_label_sets.json', 'package/README.md', 'package/LICENSE', 'package/scripts/install.mjs']) {
      expect(files).toContain(expected);
    }
    expect(files.filter((f) => /\/(test|build|out|node_modules|\.venv)\/|__pycache__|\.pyc$|\.tgz$/.test(f))).toEqual([]);
  });

  it('uses the prebuild when the LibTorch found matches it', () => {
    const dir = newProject('with-prebuild');
    const installed = npm(['install', '--foreground-scripts', tarball], dir, installEnv);
    expect(installed.status, installed.output).toBe(0);
    expect(installed.output).toContain('lwganet-node: using the prebuilt binary with LibTorch');
    expect(fs.existsSync(path.join(dir, 'node_modules', 'lwganet-node', 'build'))).toBe(false);
    useInstalledPackage(dir);

    // Break the LibTorch the prebuild links to: loading fails with an explanation, not a crash.
    const link = path.join(dir, 'node_modules', 'lwganet-node', 'prebuilds', 'linux-x64', 'libtorch');
    fs.rmSync(link);
    fs.symlinkSync(path.join(work, 'no-such-libtorch'), link);
    const broken = spawnSync('node', ['use.mjs'], { cwd: dir, env: consumerEnv, encoding: 'utf8' });
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toContain('Could not load the lwganet-node native addon');
    expect(broken.stderr).toContain('The LibTorch libraries the addon was built against are gone or moved');
    expect(broken.stderr).not.toMatch(/Segmentation fault|Aborted|core dumped/);
  });

  it('builds from source when forced, against the LibTorch it finds', () => {
    const dir = newProject('from-source');
    const installed = npm(['install', '--foreground-scripts', tarball], dir, { ...installEnv, LWGANET_BUILD_FROM_SOURCE: '1' });
    expect(installed.status, installed.output).toBe(0);
    expect(installed.output).toContain('lwganet-node: built from source');
    expect(fs.existsSync(path.join(dir, 'node_modules', 'lwganet-node', 'build', 'Release', 'lwganet.node'))).toBe(true);
    useInstalledPackage(dir);
  }, 1_200_000);

  it('fails with one clear message and leaves nothing installed when no LibTorch can be found', () => {
    const dir = newProject('no-libtorch');
    const installed = npm(['install', '--foreground-scripts', tarball], dir, {
      ...installEnv,
      LIBTORCH: path.join(work, 'missing-libtorch'),
      LWGANET_BUILD_FROM_SOURCE: '1',
    });
    expect(installed.status).not.toBe(0);
    expect(installed.output).toContain('lwganet-node: cannot install: no LibTorch found');
    expect(installed.output).toContain(`LIBTORCH=${path.join(work, 'missing-libtorch')}: no lib/libtorch_cpu.so`);
    expect(installed.output).toContain('apt-get install libtorch-dev');
    expect(fs.existsSync(path.join(dir, 'node_modules', 'lwganet-node'))).toBe(false);
  });
});
