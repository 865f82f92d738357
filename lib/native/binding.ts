/**
 * The one place the native addon is loaded. Loading is lazy, so `Tensor` and the types work
 * without it. The addon is build/Release/lwganet.node (built here) or the shipped prebuild
 * prebuilds/<platform>-<arch>/lwganet-node.node. Before it loads, the LibTorch it needs is found
 * (lib/libtorch/locate.ts: env vars, the recorded one, the `lwganet setup` venv, python3, the
 * system) and its libraries are opened by absolute path through the LibTorch-free preloader
 * addon, so the addon's libtorch.so/libc10.so dependencies resolve without RPATH or
 * LD_LIBRARY_PATH. When loading fails, the error says what was tried and how to fix it.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type * as Native from '../../binding.js';
import { warnOnReferenceBlas } from './blas-check.js';
import { applyOpenMpDefaults } from './openmp-env.js';
import { LwganetError } from '../errors.js';
import { FROM_ADDON, Tensor } from '../tensor/tensor.js';
import { baseVersion, libtorchCandidates, sameRelease, type Libtorch } from '../libtorch/locate.js';

export type Binding = typeof Native;

import { PACKAGE_ROOT } from '../package-root.js';

/** What the user runs to get a LibTorch the addon can use, or to rebuild the addon. */
export const FIX_SETUP = 'npx lwganet setup';
export const FIX_REBUILD = 'npm rebuild lwganet-node';

/** An addon file and what it needs from LibTorch. */
export interface AddonBuild {
  file: string;
  preloader: string;
  /** LibTorch version it was compiled against ('' when not recorded). */
  libtorch: string;
  /** The LibTorch recorded for it: by the build (source builds) or the install script (prebuilds). */
  recorded?: { libdir: string; source: string };
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The addons present, in load preference: a local build, then the prebuild. */
export function addonBuilds(root = PACKAGE_ROOT): AddonBuild[] {
  const builds: AddonBuild[] = [];
  for (const config of ['Release', 'Debug']) {
    const dir = path.join(root, 'build', config);
    const file = path.join(dir, 'lwganet.node');
    if (!existsSync(file)) continue;
    const info = readJson(path.join(dir, 'lwganet-libtorch.json'));
    builds.push({
      file,
      preloader: path.join(dir, 'lwganet_preload.node'),
      libtorch: typeof info?.version === 'string' ? info.version : '',
      recorded: typeof info?.libdir === 'string' ? { libdir: info.libdir, source: `the LibTorch it was built against (${String(info.source)})` } : undefined,
    });
  }
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const file = path.join(dir, 'lwganet-node.node');
  if (existsSync(file)) {
    const sidecar = readJson(path.join(dir, 'lwganet-node.json'));
    const installed = readJson(path.join(dir, 'libtorch.json'));
    builds.push({
      file,
      preloader: path.join(dir, 'lwganet-preload.node'),
      libtorch: typeof sidecar?.libtorch === 'string' ? sidecar.libtorch : '',
      recorded: typeof installed?.libdir === 'string' ? { libdir: installed.libdir, source: `the LibTorch found at install (${String(installed.source)})` } : undefined,
    });
  }
  return builds;
}

/**
 * The first LibTorch of the right release, CPU-only or with CUDA: the addon links only LibTorch's
 * CPU libraries and uses CUDA when the LibTorch it loads with has it.
 */
export function chooseLibtorch(build: AddonBuild, env: NodeJS.ProcessEnv = process.env): { chosen: Libtorch | null; seen: string[] } {
  const seen: string[] = [];
  for (const candidate of libtorchCandidates(env, seen, build.recorded)) {
    const versionOk = !build.libtorch || !candidate.version || sameRelease(candidate.version, build.libtorch);
    if (versionOk) return { chosen: candidate, seen };
    seen.push(`${candidate.source}: LibTorch ${candidate.version || '(unknown version)'} in ${candidate.libdir}, not ${build.libtorch}`);
  }
  return { chosen: null, seen };
}

/** The LibTorch libraries the addon links, in dependency order. */
const LIBTORCH_CPU_LIBRARIES = ['libc10.so', 'libtorch_cpu.so'];
/**
 * LibTorch's CUDA libraries (only in CUDA builds), in dependency order. The addon does not link
 * them: opened, they register LibTorch's CUDA kernels and hooks, and `cuda` devices work.
 */
const LIBTORCH_CUDA_LIBRARIES = ['libc10_cuda.so', 'libtorch_cuda.so'];
/**
 * The addon does not need libtorch.so, but the shared library inside a compiled (.pt2) package
 * does: opened here, its name is already resolved when the package is loaded. In a CUDA LibTorch
 * it needs libtorch_cuda.so, so it is opened after the CUDA libraries and only if they loaded.
 */
const LIBTORCH_UMBRELLA = 'libtorch.so';

/** Why LibTorch's CUDA libraries were there but could not be opened, once per JS environment. */
let cudaOpenFailure: string | undefined;
/** Why libtorch.so was not opened (compiled packages cannot load), once per JS environment. */
let umbrellaOpenFailure: string | undefined;

type Preloader = { open(file: string): void };

function preload(build: AddonBuild, libtorch: Libtorch): void {
  if (!existsSync(build.preloader)) return; // an older build: its RPATH has to do
  const loader = require(build.preloader) as Preloader;
  for (const name of LIBTORCH_CPU_LIBRARIES) {
    const file = path.join(libtorch.libdir, name);
    if (existsSync(file)) loader.open(file);
  }
  openCudaLibraries(loader, libtorch.libdir);
  openUmbrella(loader, libtorch.libdir);
}

/** Opens libtorch.so for compiled packages; a failure leaves TorchScript models working. */
function openUmbrella(loader: Preloader, libdir: string): void {
  const file = path.join(libdir, LIBTORCH_UMBRELLA);
  if (cudaOpenFailure) {
    umbrellaOpenFailure = `it needs LibTorch's CUDA library, which did not load (${cudaOpenFailure})`;
    return;
  }
  if (!existsSync(file)) {
    umbrellaOpenFailure = `${file} does not exist`;
    return;
  }
  try {
    loader.open(file);
  } catch (error) {
    umbrellaOpenFailure = `${file}: ${(error as Error).message}`;
  }
}

/** Opens LibTorch's CUDA libraries in `libdir` when it has them; a failure leaves the CPU working. */
function openCudaLibraries(loader: Preloader, libdir: string): void {
  for (const name of LIBTORCH_CUDA_LIBRARIES) {
    const file = path.join(libdir, name);
    if (!existsSync(file)) break;
    try {
      loader.open(file);
    } catch (error) {
      // Its NVIDIA libraries are missing or broken: the CPU still works, and `cuda` says why not.
      cudaOpenFailure = `${file}: ${(error as Error).message}`;
      break;
    }
  }
}

/** Directory of the libtorch_cpu.so this process has mapped (Linux), or null. */
function loadedLibtorchDir(): string | null {
  let maps = '';
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return null;
  }
  const file = maps.match(/\s(\/\S*\/libtorch_cpu\.so[^\s/]*)$/m)?.[1];
  return file ? path.dirname(file) : null;
}

function fail(message: string, cause?: unknown): never {
  throw new LwganetError('BINDING_LOAD_FAILED', message, { cause });
}

function hintFor(message: string): string {
  if (/lib(torch|c10)[\w.-]*\.so.*cannot open shared object file/.test(message)) {
    return `The LibTorch libraries the addon needs were not found. Run \`${FIX_SETUP}\` (installs the matching LibTorch in your cache), or \`${FIX_REBUILD}\` to build against the one you have.`;
  }
  if (/undefined symbol/.test(message)) {
    return `The addon and the LibTorch it found are different versions: \`${FIX_REBUILD}\` builds it against the LibTorch you have, or \`${FIX_SETUP}\` installs the one it needs.`;
  }
  return `Run \`${FIX_SETUP}\` (installs the matching LibTorch, builds the addon when needed); set LWGANET_BINDING to the path of a lwganet.node to load that one instead.`;
}

let loaded: Binding | undefined;

function loadAddon(): Binding {
  const override = process.env.LWGANET_BINDING;
  if (override) {
    try {
      const addon = require(override) as Binding;
      // It found its LibTorch itself (RPATH, LD_LIBRARY_PATH): add CUDA from that same LibTorch.
      // Before anything asks LibTorch for its CUDA hooks, which it looks up only once.
      const loader = ['lwganet_preload.node', 'lwganet-preload.node'].map((n) => path.join(path.dirname(override), n)).find((f) => existsSync(f));
      const libdir = loadedLibtorchDir();
      if (loader && libdir) {
        const preloader = require(loader) as Preloader;
        openCudaLibraries(preloader, libdir);
        openUmbrella(preloader, libdir);
      }
      return addon;
    } catch (error) {
      const message = (error as Error).message;
      return fail(`Could not load the lwganet-node native addon LWGANET_BINDING=${override}.\nCause: ${message.split('\n')[0]}\nFix: ${hintFor(message)}`, error);
    }
  }
  const builds = addonBuilds();
  if (builds.length === 0) {
    return fail(`No lwganet-node native addon in ${PACKAGE_ROOT} (looked for build/Release/lwganet.node and prebuilds/${process.platform}-${process.arch}/lwganet-node.node).\nFix: run \`${FIX_SETUP}\`: it builds the addon from source (needs cmake and a C++ compiler) when no prebuild fits this platform.`);
  }
  const build = builds[0];
  const { chosen, seen } = chooseLibtorch(build);
  if (!chosen) {
    const wanted = build.libtorch ? `LibTorch ${baseVersion(build.libtorch)}` : 'a LibTorch';
    return fail(`The lwganet-node native addon (${build.file}) needs ${wanted}, and none was found. Looked at:\n${seen.map((s) => `  - ${s}`).join('\n')}\nFix: run \`${FIX_SETUP}\` (installs torch ${baseVersion(build.libtorch) || ''} in ~/.cache/lwganet-node), or \`${FIX_REBUILD}\` to build the addon against a LibTorch you have.`);
  }
  try {
    preload(build, chosen);
    return require(build.file) as Binding;
  } catch (error) {
    const message = (error as Error).message;
    return fail(`Could not load the lwganet-node native addon ${build.file} with LibTorch ${chosen.version} from ${chosen.source} (${chosen.libdir}).\nCause: ${message.split('\n')[0]}\nFix: ${hintFor(message)}`, error);
  }
}

/** Why libtorch.so, which compiled (.pt2) packages link, was not opened (undefined when it was). */
export function libtorchUmbrellaFailure(): string | undefined {
  return umbrellaOpenFailure;
}

/** Why LibTorch's CUDA libraries were present but did not load (undefined when they loaded or are absent). */
export function cudaLibraryFailure(): string | undefined {
  return cudaOpenFailure;
}

/** Loads the addon once per JS environment (each worker thread loads its own instance). */
export function binding(): Binding {
  if (loaded) return loaded;
  applyOpenMpDefaults();
  const candidate = loadAddon();
  // Outputs come back as this environment's Tensor class: each worker thread has its own class
  // and its own addon instance, which keeps the class it is given here.
  // (The four-argument signature the addon calls is hidden from Tensor's public type.)
  candidate.setTensorClass(Tensor as unknown as Native.NativeTensorClass, FROM_ADDON);
  const runtime = candidate.devices(); // one native report for both checks (it reads the build config)
  checkLibtorchVersion(runtime);
  warnOnReferenceBlas(runtime.blas);
  if (cudaOpenFailure && isMainThread) {
    process.emitWarning(`LibTorch's CUDA library could not be loaded, so only the CPU can be used: ${cudaOpenFailure}`, { code: 'LWGANET_CUDA_LIBRARY' });
  }
  loaded = candidate;
  if (isMainThread) {
    // process.exit(), an uncaught exception or a signal handler that exits: 'exit' fires before
    // the C exit handlers that destroy LibTorch's globals, which a running forward still uses.
    // (A worker's exit is handled natively: its environment's cleanup waits for its own jobs.)
    const native = candidate;
    process.on('exit', () => native.quiesceForExit());
  }
  return loaded;
}

/**
 * The addon resolved its LibTorch symbols, but a different LibTorch version than it was compiled
 * against can still misbehave (C++ has no stable ABI): refuse it with the fix instead.
 */
function checkLibtorchVersion(runtime: Native.NativeDevices): void {
  const { libtorchVersion, builtWithLibtorch, libtorchPath } = runtime;
  if (sameRelease(libtorchVersion, builtWithLibtorch)) return;
  fail(`The lwganet-node addon was built against LibTorch ${builtWithLibtorch} but loaded LibTorch ${libtorchVersion} (${libtorchPath}).\nFix: \`${FIX_REBUILD}\` builds it against the LibTorch you have, or \`${FIX_SETUP}\` installs LibTorch ${baseVersion(builtWithLibtorch)}.`);
}
