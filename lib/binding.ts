/**
 * The one place the native addon is loaded (node-gyp-build: build/Release, build/Debug, then
 * prebuilds/<platform>-<arch>). Loading is lazy, so `Tensor` and the types work without it.
 * When loading fails, the error says what was tried and how to fix it.
 */

import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import nodeGypBuild = require('node-gyp-build');
import type * as Native from '../binding.js';
import { warnOnReferenceBlas } from './blas-check.js';
import { applyOpenMpDefaults } from './openmp-env.js';
import { LwganetError } from './errors.js';

export type Binding = typeof Native;

/** The package root: lib/ and dist/ both sit one level below it. */
export const PACKAGE_ROOT = path.join(__dirname, '..');

let loaded: Binding | undefined;

function hintFor(message: string): string {
  if (/lib(torch|c10)[\w.-]*\.so.*cannot open shared object file/.test(message)) {
    return 'The LibTorch libraries the addon was built against are gone or moved. Reinstall that torch (or LibTorch), or rebuild against the one you have: npm run build:native (see README, "LibTorch discovery").';
  }
  if (/undefined symbol/.test(message)) {
    return 'The addon and the LibTorch it found at run time are different versions. Rebuild it against the LibTorch you have: npm run build:native.';
  }
  if (/No native build was found/.test(message)) {
    return 'No compiled addon: build it with `npm run build:native` (needs cmake, a C++ compiler and a LibTorch: see README).';
  }
  return 'Rebuild the addon with `npm run build:native`; set LWGANET_BINDING to the path of a lwganet.node to load that one instead.';
}

/** Loads the addon once per JS environment (each worker thread loads its own instance). */
export function binding(): Binding {
  if (loaded) return loaded;
  const override = process.env.LWGANET_BINDING;
  const tried = override
    ? [override]
    : [
        path.join(PACKAGE_ROOT, 'build', 'Release', 'lwganet.node'),
        path.join(PACKAGE_ROOT, 'build', 'Debug', 'lwganet.node'),
        path.join(PACKAGE_ROOT, 'prebuilds', `${process.platform}-${process.arch}`, '*.node'),
      ];
  applyOpenMpDefaults();
  let candidate: Binding;
  try {
    candidate = (override ? require(override) : nodeGypBuild(PACKAGE_ROOT)) as Binding;
  } catch (error) {
    const message = (error as Error).message;
    throw new LwganetError(
      'BINDING_LOAD_FAILED',
      `Could not load the lwganet-node native addon.\nTried:\n${tried.map((p) => `  - ${p}`).join('\n')}\nCause: ${message.split('\n')[0]}\nFix: ${hintFor(message)}`,
      { cause: error },
    );
  }
  const runtime = candidate.devices();  // one native report for both checks (it reads the build config)
  checkLibtorchVersion(runtime);
  warnOnReferenceBlas(runtime.blas);
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

/** '2.15.0+cu132' → '2.15.0'; Debian's '1.13' → '1.13'. */
function baseVersion(version: string): string {
  return version.split('+')[0];
}

/**
 * The addon resolved its LibTorch symbols, but a different LibTorch version than it was compiled
 * against can still misbehave (C++ has no stable ABI): refuse it with the fix instead.
 */
function checkLibtorchVersion(runtime: Native.NativeDevices): void {
  const { libtorchVersion, builtWithLibtorch, libtorchPath } = runtime;
  const running = baseVersion(libtorchVersion);
  const built = baseVersion(builtWithLibtorch);
  if (running === built || built.startsWith(`${running}.`) || running.startsWith(`${built}.`)) return;
  throw new LwganetError(
    'BINDING_LOAD_FAILED',
    `The lwganet-node addon was built against LibTorch ${builtWithLibtorch} but loaded LibTorch ${libtorchVersion} (${libtorchPath}).\nFix: rebuild it against the LibTorch you have (npm rebuild lwganet-node, or LWGANET_BUILD_FROM_SOURCE=1 npm install), or install LibTorch ${built}.`,
  );
}
