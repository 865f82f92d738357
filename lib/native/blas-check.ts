/**
 * A LibTorch built against the system BLAS (Debian's: BLAS_INFO=generic) calls libblas.so.3,
 * which is the unoptimised reference implementation unless an optimised one is installed; every
 * matmul and most convolutions then run several times slower (measured 2–4× on LWGANet at 1024²,
 * bench/README.md). Warned about once per process, at load.
 */

import type { NativeDevices } from '../../binding.js';

/** True when LibTorch calls the system BLAS and the library loaded is Debian/Ubuntu's reference one. */
export function usesReferenceBlas(blas: NativeDevices['blas']): boolean {
  // The alternatives system links libblas.so.3 to …/blas/libblas.so.3 (reference) or to
  // …/openblas-pthread/libblas.so.3, …/atlas/libblas.so.3, …/blis-openmp/… (optimised).
  return blas.build === 'generic' && blas.library !== null && /\/blas\/libblas\.so/.test(blas.library);
}

let warned = false;

export function warnOnReferenceBlas(blas: NativeDevices['blas']): void {
  if (warned || !usesReferenceBlas(blas)) return;
  warned = true;
  process.emitWarning(
    `LibTorch is calling the reference BLAS (${blas.library}), which makes LWGANet several times slower. ` +
      'Install an optimised one: apt-get install libopenblas0-pthread (Debian/Ubuntu switch libblas.so.3 to it), ' +
      'and set OPENBLAS_NUM_THREADS=1 (LibTorch parallelises above it).',
    { code: 'LWGANET_REFERENCE_BLAS' },
  );
}
