/**
 * OpenMP spinning for LibTorch's intra-op threads, set before the addon (and with it libgomp,
 * which reads its environment once, when it is loaded) comes in.
 *
 * LWGANet runs hundreds of OpenMP parallel regions per forward (fewer when compiled to .pt2, but
 * oneDNN convolutions and the generated kernels are each one). Between two regions the worker
 * threads spin for GOMP_SPINCOUNT iterations, then sleep on a futex. Spinning long (libgomp's
 * default 300000, ~3 ms, or OMP_WAIT_POLICY=ACTIVE) is fastest on an idle machine but
 * catastrophic beside any other busy process: the spinning threads take the CPU time the team's
 * descheduled member needs, and every region waits for it. bench/thread-policy.mjs measured
 * (L0 224² b1, .pt2, 2 threads, a shared 2-core machine, one CPU-bound process beside it):
 * 300000 spins 2587 ms per forward, ACTIVE + 300000 1994 ms, 10000 spins 499 ms, 1000 spins
 * 63 ms, PASSIVE (no spin) 43 ms, onnxruntime-node 169 ms. A short spin of 1000 (~10 µs) still
 * bridges the back-to-back regions of one op sequence, so that is the default.
 *
 * Applied only when the process sets neither variable; set either to keep your own policy
 * (GOMP_SPINCOUNT=300000 is libgomp's own default, fastest on a machine that is truly idle).
 */
export const DEFAULT_SPIN_COUNT = '1000';

export function applyOpenMpDefaults(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OMP_WAIT_POLICY !== undefined || env.GOMP_SPINCOUNT !== undefined) return false;
  env.GOMP_SPINCOUNT = DEFAULT_SPIN_COUNT;
  return true;
}
