// One addon binary for a CPU-only and a CUDA LibTorch: it links only LibTorch's CPU libraries,
// and lib/native/binding.ts opens libtorch_cuda.so at load when the LibTorch it finds has one. A CPU-only
// torch (what `lwganet setup` installs by default) is simulated by a view of the pip torch: a
// directory of symlinks without its CUDA libraries, used through LIBTORCH like any LibTorch.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addonBuilds } from '../lib/native/binding.js';
import { fixture } from './helpers/fixtures.js';

const ROOT = path.join(__dirname, '..');
const build = addonBuilds(ROOT)[0];
const torchLib = build?.recorded?.libdir ?? '';
const torchDir = path.dirname(torchLib);
const isCudaTorch = fs.existsSync(path.join(torchLib, 'libtorch_cuda.so'));
/** Library names that belong to LibTorch's CUDA side or NVIDIA's libraries. */
const CUDA_NAME = /cuda|cudnn|cublas|cufft|cusparse|cusolver|curand|nccl|nvrtc|nvshmem|nvjitlink|cufile/i;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lwganet-cpu-torch-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function needed(file: string): string[] {
  const dynamic = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
  return [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

/**
 * A pip torch without CUDA: every entry of torch/ except lib/, and of lib/ every library that is
 * not CUDA's and needs none of CUDA's. This CUDA wheel's libtorch_cpu.so itself needs the CUDA
 * runtime and CUPTI (a CPU wheel's needs neither; they register nothing with the dispatcher), so
 * those two come along at the path its RPATH ($ORIGIN/../../nvidia/...) expects.
 * @param extra library names of torch/lib to add back
 */
function torchView(name: string, extra: string[] = []): string {
  const view = path.join(work, name);
  const lib = path.join(view, 'torch', 'lib');
  fs.mkdirSync(lib, { recursive: true });
  for (const entry of fs.readdirSync(torchDir)) {
    if (entry !== 'lib') fs.symlinkSync(path.join(torchDir, entry), path.join(view, 'torch', entry));
  }
  const cpuNeeds = needed(path.join(torchLib, 'libtorch_cpu.so'));
  for (const entry of fs.readdirSync(torchLib)) {
    const file = path.join(torchLib, entry);
    const cudaNeeds = /\.so/.test(entry) ? needed(file).filter((n) => CUDA_NAME.test(n) && !cpuNeeds.includes(n)) : [];
    const cpuOnly = !CUDA_NAME.test(entry) && cudaNeeds.length === 0;
    if (cpuOnly || extra.includes(entry)) fs.symlinkSync(file, path.join(lib, entry));
  }
  const nvidia = path.join(torchDir, '..', 'nvidia');
  for (const library of cpuNeeds) {
    for (const sub of fs.existsSync(nvidia) ? fs.readdirSync(nvidia) : []) {
      const file = path.join(nvidia, sub, 'lib', library);
      if (!fs.existsSync(file)) continue;
      fs.mkdirSync(path.join(view, 'nvidia', sub, 'lib'), { recursive: true });
      fs.symlinkSync(file, path.join(view, 'nvidia', sub, 'lib', library));
    }
  }
  return path.join(view, 'torch');
}

interface ChildReport {
  devices: { cudaCompiled: boolean; cudaDeviceCount: number; cudaUnavailableReason: string | null; libtorchPath: string; available: string[] };
  sum: number[];
  conv: number[];
  cuda: { code?: string; message: string } | null;
  /** A compiled (.pt2) package: its output width, or the error loading it gave. */
  compiled: { width: number } | { code?: string; message: string };
  mapped: string[];
  stderr: string;
}

/** Loads the addon the normal way (locate + preload) in a child process with LIBTORCH set. */
function runWith(libtorch: string, extraEnv: Record<string, string> = {}): ChildReport {
  const script = `
    const fs = require('node:fs');
    const l = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
    const devices = l.devices();
    const add = l.loadModelSync(${JSON.stringify(fixture('add.pt'))});
    const sum = Array.from(add.runSync([new l.Tensor('float32', [1, 2]), new l.Tensor('float32', [10, 20])]).data);
    const conv = l.loadModelSync(${JSON.stringify(fixture('conv.pt'))});
    const x = new l.Tensor('float32', Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i)), [1, 3, 224, 224]);
    const out = Array.from(conv.runSync(x).data.slice(0, 64));
    let cuda = null;
    try { l.loadModelSync(${JSON.stringify(fixture('identity.pt'))}, { device: 'cuda' }); } catch (e) { cuda = { code: e.code, message: e.message }; }
    let compiled;
    try {
      const m = l.loadModelSync(${JSON.stringify(fixture('compiled.pt2'))});
      compiled = { width: m.runSync(new l.Tensor('float32', new Float32Array(3 * 224 * 224), [1, 3, 224, 224])).shape[1] };
    } catch (e) { compiled = { code: e.code, message: e.message }; }
    const mapped = [...new Set(fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((f) => f && /\\.so/.test(f)))];
    console.log(JSON.stringify({ devices, sum, conv: out, cuda, compiled, mapped }));`;
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: path.join(work, 'home'), LIBTORCH: libtorch, ...extraEnv };
  const child = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 120_000 });
  expect(child.status, child.stderr).toBe(0);
  return { ...(JSON.parse(child.stdout.trim().split('\n').pop()!) as Omit<ChildReport, 'stderr'>), stderr: child.stderr };
}

describe('the addon binary', () => {
  it('links LibTorch\'s CPU libraries only (no CUDA library in DT_NEEDED)', () => {
    const libs = needed(build.file);
    expect(libs).toEqual(expect.arrayContaining(['libtorch_cpu.so', 'libc10.so']));
    expect(libs.filter((n) => CUDA_NAME.test(n) || n === 'libtorch.so')).toEqual([]);
  });
});

describe.runIf(isCudaTorch)('one binary with a CPU-only and with a CUDA LibTorch', () => {
  let cpu: ChildReport;
  let full: ChildReport;
  let broken: ChildReport;
  let override: ChildReport;
  beforeAll(() => {
    cpu = runWith(torchView('cpu'));
    full = runWith(torchDir);
    // LWGANET_BINDING: the addon finds LibTorch itself (here through its build RPATH).
    override = runWith(torchDir, { LWGANET_BINDING: build.file });
    // LibTorch's CUDA libraries without NVIDIA's (cuDNN, cuBLAS, ...): libtorch_cuda.so cannot open.
    broken = runWith(torchView('cuda-without-nvidia', ['libc10_cuda.so', 'libtorch_cuda.so']));
  }, 360_000);

  it('loads with a CPU-only LibTorch and runs on the CPU, the same as with the CUDA one', () => {
    expect(cpu.devices.libtorchPath).toBe(path.join(work, 'cpu', 'torch', 'lib', 'libtorch_cpu.so'));
    expect(cpu.mapped.filter((f) => /libtorch_cuda|libc10_cuda|cudnn|cublas/.test(f))).toEqual([]);
    expect(cpu.sum).toEqual([11, 22]);
    expect(cpu.conv.length).toBe(64);
    cpu.conv.forEach((v, i) => expect(v).toBeCloseTo(full.conv[i], 5));
  });

  it('with a CPU-only LibTorch: no CUDA in devices(), and `cuda` is CUDA_UNAVAILABLE saying so', () => {
    expect(cpu.devices).toMatchObject({ cudaCompiled: false, cudaDeviceCount: 0, available: ['cpu'] });
    expect(cpu.devices.cudaUnavailableReason).toContain('CPU-only LibTorch');
    expect(cpu.cuda?.code).toBe('CUDA_UNAVAILABLE');
    expect(cpu.cuda?.message).toContain('CPU-only LibTorch');
    expect(cpu.cuda?.message).toContain('npx lwganet setup --cuda');
  });

  it('with the CUDA LibTorch: opens libtorch_cuda.so, so CUDA is there and only the device is missing', () => {
    expect(full.mapped).toContain(fs.realpathSync(path.join(torchLib, 'libtorch_cuda.so')));
    expect(full.devices.cudaCompiled).toBe(true);
    expect(full.sum).toEqual([11, 22]);
    // No GPU on CI machines: the CUDA runtime reports no device, and that is the reason given.
    if (full.devices.cudaDeviceCount === 0) {
      expect(full.devices.cudaUnavailableReason).toMatch(/no CUDA device is visible/);
      expect(full.cuda?.code).toBe('CUDA_UNAVAILABLE');
      expect(full.cuda?.message).toMatch(/no CUDA device is visible/);
    } else {
      expect(full.cuda).toBeNull();
    }
  });

  it('loaded through LWGANET_BINDING: CUDA comes from the LibTorch the addon found', () => {
    expect(override.mapped).toContain(fs.realpathSync(path.join(torchLib, 'libtorch_cuda.so')));
    expect(override.devices.cudaCompiled).toBe(true);
  });

  it('opens libtorch.so, which the addon does not link but a compiled package does, so .pt2 models load and run', () => {
    expect(full.mapped).toContain(fs.realpathSync(path.join(torchLib, 'libtorch.so')));
    expect(full.compiled).toEqual({ width: 3 });
    expect(override.compiled).toEqual({ width: 3 });
  });

  it('without a libtorch.so that opens, a compiled package fails to load saying why', () => {
    // This view's libtorch.so would need libtorch_cuda.so, so it is left out (a CPU wheel's needs only libtorch_cpu.so).
    expect(cpu.compiled).toMatchObject({ code: 'MODEL_CORRUPT' });
    expect((cpu.compiled as { message: string }).message).toMatch(/libtorch\.so, which could not be opened: .*libtorch\.so does not exist/);
    expect((broken.compiled as { message: string }).message).toMatch(/libtorch\.so, which could not be opened: it needs LibTorch's CUDA library, which did not load/);
    expect(broken.sum).toEqual([11, 22]);
  });

  it('with CUDA libraries that cannot open: runs on the CPU, warns, and says why CUDA is missing', () => {
    expect(broken.sum).toEqual([11, 22]);
    expect(broken.devices.cudaCompiled).toBe(false);
    expect(broken.devices.cudaUnavailableReason).toMatch(/CUDA library did not load \(.*libtorch_cuda\.so: .*cannot open shared object file/);
    expect(broken.stderr).toContain('LWGANET_CUDA_LIBRARY');
    expect(broken.cuda?.code).toBe('CUDA_UNAVAILABLE');
  });
});
