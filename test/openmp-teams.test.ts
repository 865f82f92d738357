// libgomp spins between parallel regions only while the threads it manages do not outnumber the
// CPUs. Every thread that opens a parallel region gets a team of its own, so an async run() must
// do all its OpenMP work on its inference thread: if the JS thread opened one too (e.g. by copying
// a large input with a parallel kernel), the forward's team would stop spinning and, on 2 cores,
// LWGANet-L0 took 21 ms instead of 8 per forward.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from './helpers/fixtures.js';

const ROOT = path.join(__dirname, '..');

/**
 * Threads of a fresh Node process after loading twin_convs.pt (2 intra-op threads; its load runs a
 * parallel kernel) and async forwards of a 64×56×56 input (and one runSync at the end if asked).
 */
function threadsAfter(load: 'loadModel' | 'loadModelSync', withRunSync: boolean): number {
  const script = `
    const fs = require('node:fs');
    const l = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
    (async () => {
      const model = await l.${load}(${JSON.stringify(fixture('twin_convs.pt'))}, { threads: 2, threadPolicy: 'fixed' });
      const x = new l.Tensor('float32', new Float32Array(64 * 56 * 56).fill(0.5), [1, 64, 56, 56]);
      for (let i = 0; i < 4; i++) await model.run(x);
      if (${withRunSync}) model.runSync(x);
      console.log(fs.readdirSync('/proc/self/task').length);
    })();`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, LWGANET_INFERENCE_THREADS: '2' } });
  expect(child.status, child.stderr).toBe(0);
  return Number(child.stdout.trim().split('\n').pop());
}

describe.runIf(process.platform === 'linux')('OpenMP teams', () => {
  it('an async run() gives the JS thread no OpenMP team (its input copy is not a parallel kernel)', () => {
    // runSync() forwards on the JS thread, which then owns a team: one more thread, the calibration
    // that shows the count sees a JS-thread team.
    const asyncOnly = threadsAfter('loadModel', false);
    const withJsTeam = threadsAfter('loadModel', true);
    expect(withJsTeam).toBe(asyncOnly + 1);
  });

  it('loadModelSync() loads on the JS thread without giving it a team either', () => {
    const asyncOnly = threadsAfter('loadModelSync', false);
    const withJsTeam = threadsAfter('loadModelSync', true);
    expect(withJsTeam).toBe(asyncOnly + 1);
  });
});
