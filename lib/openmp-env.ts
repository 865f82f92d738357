/**
 * OpenMP spinning for LibTorch's intra-op threads, set before the addon (and with it libgomp,
 * which reads its environment once, when it is loaded) comes in.
 *
 * LWGANet is hundreds of small ops, each an OpenMP parallel region: between two regions the
 * worker threads either spin (ready in microseconds) or sleep on a futex (woken in tens of
 * microseconds, several times per op). libgomp spins only while the threads it manages do not
 * outnumber the CPUs, counting the process's initial thread; forwards run on the addon's own
 * threads, so a Node process is always over that line on 2 cores and libgomp's default
 * degenerates to 100 spins, i.e. sleeping. OMP_WAIT_POLICY=ACTIVE raises that throttled spin to
 * 1000 (measured 1.5–2× faster per forward at 224² on 2 cores, bench/levers.mjs "openmp"), and
 * GOMP_SPINCOUNT bounds the unthrottled spin to libgomp's own default (~3 ms) instead of ACTIVE's
 * minutes, so idle threads still go to sleep.
 *
 * Applied only when the process sets neither variable; set either to keep your own policy.
 */
export function applyOpenMpDefaults(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OMP_WAIT_POLICY !== undefined || env.GOMP_SPINCOUNT !== undefined) return false;
  env.OMP_WAIT_POLICY = 'ACTIVE';
  env.GOMP_SPINCOUNT = '300000';
  return true;
}
