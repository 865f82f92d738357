// `npm install` of the packed tarball, in fresh projects that cannot see the source tree:
// the prebuild (install script allowed), a forced source build, no LibTorch at install time, and
// the whole first-prediction path of a new user (fresh HOME: install, `npx lwganet setup`,
// `npx lwganet pretrained l0`, `npx lwganet classify`) with npm's default script policy and
// with the install script allowed.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './helpers/fixtures.js';
import { TORCH_VERSION } from '../lib/setup/torch-pin.js';
import { runPython } from './helpers/image-python.js';

const ROOT = path.join(__dirname, '..');
const VENV_BIN = path.join(ROOT, '.venv', 'bin');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lwganet-pack-'));
// The venv's python3 first on PATH: that is how a user with a pip torch installs the package.
const installEnv = { ...process.env, PATH: `${VENV_BIN}:${process.env.PATH}`, npm_config_audit: 'false', npm_config_fund: 'false' };
// What a consumer runs with afterwards: no venv, no source tree.
const consumerEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: os.homedir() };
/** Strings only a contributor of this repository can act on; a user-facing message never says them. */
const CONTRIBUTOR_ONLY = /npm run build:native|scripts\/setup\.sh|requirements-ci\.txt/;
let tarball = '';

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const result = spawnSync('npm', args, { cwd, env, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

/**
 * The project's npm 11 install-script policy for the tarball: approved or denied. npm keys a
 * tarball dependency by its file: URL (what `npm install-scripts approve|deny` writes); a
 * name-only entry does not cover it.
 */
function scriptPolicy(allowed: boolean): Record<string, unknown> {
  return { allowScripts: { [`file:${tarball}`]: allowed } };
}

function newProject(name: string, extra: Record<string, unknown> = {}): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, ...extra }));
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

/**
 * gdal-async's own install script fetches its prebuilt binding from its GitHub releases, which
 * this machine cannot reach (users' machines can); without it, the script compiles a bundled
 * GDAL for half an hour. A local server in node-pre-gyp's release layout stands in for GitHub,
 * serving the binding the checkout built, through node-pre-gyp's documented mirror variable.
 * It runs in a child process: several installs below are synchronous (spawnSync) and would
 * block a server living in this one.
 */
let gdalMirror: ChildProcess | undefined;
const gdalMirrorEnv: Record<string, string> = {};

const MIRROR_SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const [urlPath, file] = process.argv.slice(1);
const bytes = fs.readFileSync(file);
const server = http.createServer((req, res) => {
  if (req.url !== urlPath) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-length': String(bytes.length) }).end(bytes);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('disconnect', () => process.exit(0));
`;

async function startGdalMirror(): Promise<void> {
  const gdalDir = path.join(ROOT, 'node_modules', 'gdal-async');
  const { version } = JSON.parse(fs.readFileSync(path.join(gdalDir, 'package.json'), 'utf8')) as { version: string };
  const abiDir = `node-v${process.versions.modules}-${process.platform}-${process.arch}`;
  const archive = path.join(work, `${abiDir}.tar.gz`);
  execFileSync('tar', ['czf', archive, '-C', path.join(gdalDir, 'lib', 'binding'), abiDir]);
  const child = spawn(process.execPath, ['-e', MIRROR_SERVER, `/v${version}/${abiDir}.tar.gz`, archive], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  gdalMirror = child;
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').once('data', (line: string) => resolve(line.trim()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the gdal-async mirror exited with ${code}`)));
  });
  gdalMirrorEnv.npm_config_gdal_binary_host_mirror = `http://127.0.0.1:${port}/`;
  Object.assign(installEnv, gdalMirrorEnv);
}

beforeAll(async () => {
  await startGdalMirror();
  const packed = npm(['pack', '--pack-destination', work], ROOT, installEnv);
  expect(packed.status, packed.output).toBe(0);
  expect(packed.output).not.toContain('Unknown project config');
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  tarball = path.join(work, `lwganet-node-${version}.tgz`);
  expect(fs.existsSync(tarball), packed.output).toBe(true);
}, 600_000);

afterAll(async () => {
  gdalMirror?.kill();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships the runtime, prebuild with its preloader, native sources and exporter, and no tests or build junk', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const expected of ['package/dist/index.js', 'package/dist/index.d.ts', 'package/binding.d.ts', 'package/CMakeLists.txt',
      'package/native/addon.cc', 'package/native/preload/preload.cc', 'package/prebuilds/linux-x64/lwganet-node.node',
      'package/prebuilds/linux-x64/lwganet-preload.node', 'package/prebuilds/linux-x64/lwganet-node.json',
      'package/python/lwganet/export.py', 'package/python/lwganet/metadata.schema.json',
      'package/python/lwganet/data/dota_label_sets.json', 'package/README.md', 'package/LICENSE', 'package/scripts/install.mjs']) {
      expect(files).toContain(expected);
    }
    expect(files.filter((f) => /\/(test|build|out|node_modules|\.venv)\/|__pycache__|\.pyc$|\.tgz$/.test(f))).toEqual([]);
    // A source map is only worth shipping with the sources it points at.
    const maps = files.filter((f) => f.endsWith('.map'));
    const sources = maps.map((m) => path.posix.join(path.posix.dirname(m), `../lib/${path.posix.basename(m).replace(/\.js\.map$|\.d\.ts\.map$/, '.ts')}`));
    expect(sources.filter((s) => !files.includes(s))).toEqual([]);
  });

  it('says no contributor-only command in what it ships', () => {
    const dir = path.join(work, 'unpacked');
    fs.mkdirSync(dir);
    execFileSync('tar', ['xzf', tarball, '-C', dir]);
    const offenders: string[] = [];
    const walk = (d: string): void => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
        const file = path.join(d, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/\.(js|mjs|py)$/.test(entry.name) && CONTRIBUTOR_ONLY.test(fs.readFileSync(file, 'utf8'))) offenders.push(path.relative(dir, file));
      }
    };
    walk(path.join(dir, 'package', 'dist'));
    walk(path.join(dir, 'package', 'scripts'));
    walk(path.join(dir, 'package', 'python'));
    expect(offenders).toEqual([]);
  });
});

describe('npm install of the packed package', () => {
  it('uses the prebuild with the LibTorch found at install, without any link or RPATH', () => {
    const dir = newProject('with-prebuild', scriptPolicy(true));
    const installed = npm(['install', '--foreground-scripts', tarball], dir, installEnv);
    expect(installed.status, installed.output).toBe(0);
    expect(installed.output).toContain('lwganet-node: using the prebuilt binary with LibTorch');
    const prebuilds = path.join(dir, 'node_modules', 'lwganet-node', 'prebuilds', 'linux-x64');
    expect(fs.existsSync(path.join(dir, 'node_modules', 'lwganet-node', 'build'))).toBe(false);
    expect(fs.existsSync(path.join(prebuilds, 'libtorch'))).toBe(false);
    const dynamic = execFileSync('readelf', ['-d', path.join(prebuilds, 'lwganet-node.node')], { encoding: 'utf8' });
    expect(dynamic).not.toMatch(/RPATH|RUNPATH/);
    // LibTorch's CPU libraries only, so the prebuild also loads with a CPU-only torch.
    expect(dynamic).toMatch(/NEEDED.*\[libtorch_cpu\.so\]/);
    expect(dynamic).not.toMatch(/NEEDED.*(cuda|nvidia|cudnn|cublas)/i);
    useInstalledPackage(dir);

    // The recorded LibTorch is gone and no other of its release is around: a clear error with the fix.
    const record = path.join(prebuilds, 'libtorch.json');
    fs.writeFileSync(record, JSON.stringify({ libdir: path.join(work, 'no-such-libtorch', 'lib'), source: 'moved away' }));
    const broken = spawnSync('node', ['use.mjs'], { cwd: dir, env: { ...consumerEnv, HOME: path.join(work, 'empty-home') }, encoding: 'utf8' });
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toContain('BINDING_LOAD_FAILED');
    expect(broken.stderr).toContain(`needs LibTorch ${TORCH_VERSION}, and none was found`);
    expect(broken.stderr).toContain('(moved away): no libtorch_cpu.so in');
    expect(broken.stderr).toContain('npx lwganet setup');
    expect(broken.stderr).toContain('npm rebuild lwganet-node');
    expect(broken.stderr).not.toMatch(CONTRIBUTOR_ONLY);
    expect(broken.stderr).not.toMatch(/Segmentation fault|Aborted|core dumped/);
  });

  it('builds from source when forced, against the LibTorch it finds', () => {
    const dir = newProject('from-source', scriptPolicy(true));
    const installed = npm(['install', '--foreground-scripts', tarball], dir, { ...installEnv, LWGANET_BUILD_FROM_SOURCE: '1' });
    expect(installed.status, installed.output).toBe(0);
    expect(installed.output).toContain('lwganet-node: built from source');
    expect(fs.existsSync(path.join(dir, 'node_modules', 'lwganet-node', 'build', 'Release', 'lwganet.node'))).toBe(true);
    useInstalledPackage(dir);
  }, 1_200_000);

  it('installs without a LibTorch and points at `npx lwganet setup` instead of failing', () => {
    const dir = newProject('no-libtorch', scriptPolicy(true));
    const installed = npm(['install', '--foreground-scripts', tarball], dir, {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: path.join(work, 'empty-home'),
      npm_config_cache: path.join(os.homedir(), '.npm'),
      ...gdalMirrorEnv,
    });
    expect(installed.status, installed.output).toBe(0);
    expect(installed.output).toContain('lwganet-node: no LibTorch found yet');
    expect(installed.output).toContain('run `npx lwganet setup`');
    expect(installed.output).not.toMatch(CONTRIBUTOR_ONLY);
    expect(installed.output).not.toContain('<version>');
    expect(fs.existsSync(path.join(dir, 'node_modules', 'lwganet-node', 'dist', 'index.js'))).toBe(true);
  });
});

// A new user's machine: a fresh HOME, no LibTorch, no venv, no environment variables beyond PATH
// and HOME. pip's own configuration (~/.config/pip/pip.conf) points it at a local directory of
// PyPI's wheels (downloaded once through the real pip cache), because only PyPI is reachable
// here: PyPI's Linux torch is the CUDA build, so the venv gets that instead of the CPU wheel a
// user's default (download.pytorch.org/whl/cpu) would give. The official checkpoint comes from
// a local server in the official layout ({'model': state_dict}), named with `--from`.
describe('first prediction on a clean machine', () => {
  const home = path.join(work, 'home');
  const wheelhouse = path.join(ROOT, 'build', 'test-wheelhouse');
  const userEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home };
  const steps: { step: string; seconds: number; disk: string }[] = [];
  let server: Server;
  let url = '';
  let sha256 = '';
  let image = '';

  beforeAll(async () => {
    fs.mkdirSync(wheelhouse, { recursive: true });
    execFileSync(path.join(VENV_BIN, 'python'), ['-m', 'pip', 'download', '-q', '--disable-pip-version-check', '-d', wheelhouse, `torch==${TORCH_VERSION}`, 'numpy'], { stdio: 'inherit', timeout: 1_200_000 });
    fs.mkdirSync(path.join(home, '.config', 'pip'), { recursive: true });
    fs.writeFileSync(path.join(home, '.config', 'pip', 'pip.conf'), `[global]\nno-index = true\nfind-links = ${wheelhouse}\n`);

    const checkpoint = path.join(work, 'lwganet_l0_e299.pth');
    runPython(['-c', 'import sys, torch, lwganet\ntorch.manual_seed(0)\ntorch.save({"model": lwganet.create_model("lwganet_l0").state_dict()}, sys.argv[1])', checkpoint], { timeoutMs: 300_000 });
    const bytes = fs.readFileSync(checkpoint);
    sha256 = createHash('sha256').update(bytes).digest('hex');
    server = createServer((req, res) => {
      if (req.url !== '/weights/lwganet_l0_e299.pth') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': String(bytes.length) }).end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/weights/lwganet_l0_e299.pth`;

    image = path.join(work, 'scene.png');
    const sharp = (await import('sharp')).default;
    await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 40, g: 120, b: 60 } } }).png().toFile(image);
  }, 1_500_000);

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    if (steps.length) {
      console.log(`first prediction, step by step (shared machine; times are indicative):\n${steps.map((s) => `  ${s.step.padEnd(58)} ${s.seconds.toFixed(1).padStart(6)} s  ${s.disk}`).join('\n')}`);
      fs.mkdirSync(path.join(ROOT, 'out'), { recursive: true });
      fs.writeFileSync(path.join(ROOT, 'out', 'first-prediction-steps.json'), `${JSON.stringify(steps, null, 2)}\n`);
    }
  });

  function du(dir: string): string {
    if (!fs.existsSync(dir)) return '-';
    return execFileSync('du', ['-sh', dir], { encoding: 'utf8' }).split('\t')[0];
  }

  /**
   * Runs one user command with nothing but PATH and HOME set, timing it. Asynchronous: the
   * checkpoint server lives in this process and must keep answering meanwhile.
   */
  async function step(label: string, dir: string, command: string, args: string[], measure: string) {
    const started = performance.now();
    const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      // PATH and HOME, plus the stand-in for gdal-async's release host (see startGdalMirror).
      const child = spawn(command, args, { cwd: dir, env: { ...userEnv, ...gdalMirrorEnv } });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    steps.push({ step: label, seconds: (performance.now() - started) / 1000, disk: `${path.relative(work, measure)}: ${du(measure)}` });
    expect(result.status, `${command} ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
    return { stdout: result.stdout, stderr: result.stderr };
  }

  async function predict(dir: string, tag: string) {
    const cache = path.join(home, '.cache', 'lwganet-node');
    const setup = await step(`${tag}: npx lwganet setup`, dir, 'npx', ['lwganet', 'setup'], path.join(cache, 'python'));
    expect(setup.stdout).toContain(`ready: torch ${TORCH_VERSION}`);
    const pretrained = await step(`${tag}: npx lwganet pretrained l0 --from <local> --out l0.pt`, dir, 'npx',
      ['lwganet', 'pretrained', 'l0', '--from', url, '--sha256', sha256, '--out', 'l0.pt', '--no-progress'], path.join(dir, 'l0.pt'));
    expect(pretrained.stdout.trim()).toBe(path.join(dir, 'l0.pt'));
    const classified = await step(`${tag}: npx lwganet classify -m l0.pt scene.png`, dir, 'npx', ['lwganet', 'classify', '-m', 'l0.pt', image, '--json', '--top', '3'], path.join(cache, 'checkpoints'));
    const report = JSON.stringify(JSON.parse(classified.stdout));
    // The ImageNet labels travel with the exported model: names, not class indices.
    expect(report).toMatch(/"label":"[a-z]/i);
    expect(classified.stderr).not.toContain('seeded random weights');
    return { setup, report };
  }

  it('works when npm does not run the install script (npm 11\'s allowScripts policy)', async () => {
    // npm 11 documents dependency install scripts as blocked unless approved in allowScripts, yet
    // npm 11.19.1 still runs an unapproved package's script (with a warning; --strict-allow-scripts
    // fails the whole install instead). Its policy does skip a script the project denies, which
    // `npm install-scripts deny` records for a tarball under its file: URL, as here.
    const dir = newProject('first-default', scriptPolicy(false));
    const installed = await step('A: npm install lwganet-node-0.1.0.tgz (script not run)', dir, 'npm', ['install', '--foreground-scripts', tarball], path.join(dir, 'node_modules'));
    expect(`${installed.stdout}${installed.stderr}`).not.toContain('lwganet-node: ');
    // Denied, so not listed among the unreviewed scripts (a dependency of a dependency may be).
    expect(`${installed.stdout}${installed.stderr}`).not.toMatch(/install-scripts\s+lwganet-node@/);
    expect(fs.existsSync(path.join(dir, 'node_modules', 'lwganet-node', 'prebuilds', 'linux-x64', 'libtorch.json'))).toBe(false);
    // The benchmark suite is not shipped, so its command is not offered.
    const help = await step('A: npx lwganet --help', dir, 'npx', ['lwganet', '--help'], path.join(dir, 'node_modules'));
    expect(help.stdout).toMatch(/^\s+setup\b/m);
    expect(help.stdout).toMatch(/^\s+pretrained\b/m);
    expect(help.stdout).not.toMatch(/^\s+bench\b/m);
    const { setup } = await predict(dir, 'A');
    // The geo engine works in the user's project (its binding fetched by its own install script).
    expect(execFileSync('node', ['-e', "console.log(require('gdal-async').drivers.get('GTiff').description)"], { cwd: dir, env: consumerEnv, encoding: 'utf8' }).trim()).toBe('GTiff');
    expect(setup.stderr).toContain('pip install torch==');
    // The prebuild fits the torch setup installed: no compiler run.
    expect(setup.stderr).toContain('the addon loads with LibTorch');
    expect(setup.stderr).not.toContain('building it from source');
  }, 1_800_000);

  it('works the same with the install script allowed, reusing the per-user setup', async () => {
    const dir = newProject('first-allowed', scriptPolicy(true));
    const installed = await step('B: npm install lwganet-node-0.1.0.tgz (script allowed)', dir, 'npm', ['install', '--foreground-scripts', tarball], path.join(dir, 'node_modules'));
    expect(`${installed.stdout}${installed.stderr}`).toContain('lwganet-node: using the prebuilt binary with LibTorch');
    expect(`${installed.stdout}${installed.stderr}`).not.toMatch(/install-scripts\s+lwganet-node@/);
    const { setup } = await predict(dir, 'B');
    expect(setup.stderr).toContain('already in');
  }, 1_800_000);
});
