// Reference-BLAS detection: which loaded libblas files count as the slow reference one.
import { describe, expect, it } from 'vitest';
import { devices } from '../lib/index.js';
import { usesReferenceBlas } from '../lib/native/blas-check.js';

describe('usesReferenceBlas', () => {
  it('flags a system-BLAS LibTorch on Debian\'s reference libblas, and nothing else', () => {
    expect(usesReferenceBlas({ build: 'generic', library: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0' })).toBe(true);
    expect(usesReferenceBlas({ build: 'generic', library: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3' })).toBe(false);
    expect(usesReferenceBlas({ build: 'generic', library: null })).toBe(false);
    expect(usesReferenceBlas({ build: 'mkl', library: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0' })).toBe(false);
  });

  it('reads the running LibTorch\'s build BLAS (the pinned pip torch: MKL)', () => {
    const { blas } = devices();
    expect(blas.build).toBe('mkl');
    expect(usesReferenceBlas(blas)).toBe(false);
  });
});
