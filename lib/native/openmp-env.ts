/**
 * OpenMP spinning for LibTorch's intra-op threads, set before the addon (and with it libgomp,
 * which reads its environment once, when it is loaded) comes in.
 *
 * LWGANet runs hundreds of OpenMP parallel regions per forward (fewer when compiled to .pt2, but
 * oneDNN convolutions and the generated kernels are each one). Between two regions the worker
 * threads spin for GOMP_SPINCOUNT iterations, then sleep on a futex, and waking them costs tens
 * of µs (more in a VM, where the idle vCPU halts). bench/thread-policy.mjs on a quiet 2-core
 * machine (L0 224² b1, 2 threads, fixed policy, idle / one CPU-bound process beside it): .pt2
 * 30000 spins 4.4 / 13.2 ms, 1000 spins 4.7 / 18.2, 300000 (libgomp's default) 4.8 / 9.3, PASSIVE
 * 14.6 / 8.0; TorchScript 30000 7.4 / 19.3, 1000 8.7 / 27.0. The default adaptive thread policy
 * runs single-threaded forwards (no team, no spin) when the machine is busy, so the spin is tuned
 * for when the team runs. (Measured earlier with a JS-thread OpenMP team the addon no longer makes,
 * libgomp throttled every spin to 100, and long spins looked far worse.)
 *
 * Applied only when the process sets neither variable; set either to keep your own policy
 * (PASSIVE on a machine crowded far beyond its cores).
 */
export const DEFAULT_SPIN_COUNT = '30000';

export function applyOpenMpDefaults(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OMP_WAIT_POLICY !== undefined || env.GOMP_SPINCOUNT !== undefined) return false;
  env.GOMP_SPINCOUNT = DEFAULT_SPIN_COUNT;
  return true;
}
