// The OpenMP defaults the package sets before loading the addon (lib/native/openmp-env.ts).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOpenMpDefaults } from '../lib/native/openmp-env.js';
import { ROOT } from './helpers/image-python.js';

describe('applyOpenMpDefaults', () => {
  it('sets a bounded spin when the process chose no OpenMP policy', () => {
    const env: NodeJS.ProcessEnv = { PATH: '/bin' };
    expect(applyOpenMpDefaults(env)).toBe(true);
    expect(env).toEqual({ PATH: '/bin', GOMP_SPINCOUNT: '30000' });
  });

  it('keeps a policy or spin count the user set, and sets nothing next to it', () => {
    const passive: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: 'PASSIVE' };
    expect(applyOpenMpDefaults(passive)).toBe(false);
    expect(passive).toEqual({ OMP_WAIT_POLICY: 'PASSIVE' });
    const spin: NodeJS.ProcessEnv = { GOMP_SPINCOUNT: '0' };
    expect(applyOpenMpDefaults(spin)).toBe(false);
    expect(spin).toEqual({ GOMP_SPINCOUNT: '0' });
  });

  it('is applied by the package when it loads the addon, unless the process set a policy', () => {
    const script = `const l = require(${JSON.stringify(join(ROOT, 'dist', 'index.js'))}); l.devices();
      console.log(JSON.stringify([process.env.OMP_WAIT_POLICY ?? null, process.env.GOMP_SPINCOUNT ?? null]));`;
    const run = (extra: NodeJS.ProcessEnv) => {
      const env = { ...process.env, ...extra };
      delete env.OMP_WAIT_POLICY;
      delete env.GOMP_SPINCOUNT;
      Object.assign(env, extra);
      return JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }).trim().split('\n').pop()!);
    };
    expect(run({})).toEqual([null, '30000']);
    expect(run({ OMP_WAIT_POLICY: 'PASSIVE' })).toEqual(['PASSIVE', null]);
  });
});
