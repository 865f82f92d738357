// lwganet setup's GDAL step: a loadable gdal-async is reported and left alone; one that does not
// load triggers node-pre-gyp in gdal-async's directory, and a failure is SETUP_FAILED saying how
// to build it by hand.
import { describe, expect, it } from 'vitest';
import { ensureGdalBinding } from '../lib/setup/gdal-binding.js';

describe('ensureGdalBinding', () => {
  it('reports the GDAL version when gdal-async loads, and installs nothing', async () => {
    const lines: string[] = [];
    const result = await ensureGdalBinding(process.env, (l) => lines.push(l), 'ignore');
    expect(result.builtNow).toBe(false);
    expect(result.version).toMatch(/^\d+\.\d+/);
    expect(lines.join('\n')).toMatch(/GDAL \d+\.\d+.* loads/);
  });

  it('a binding that does not load: runs node-pre-gyp, then fails clearly when that does not help', async () => {
    // Every Node child dies at start-up: the probe fails, and so does node-pre-gyp.
    const env = { ...process.env, NODE_OPTIONS: '--require /nonexistent-lwganet-preload.js' };
    const lines: string[] = [];
    await expect(ensureGdalBinding(env, (l) => lines.push(l), 'ignore')).rejects.toMatchObject({
      code: 'SETUP_FAILED',
      message: expect.stringMatching(/gdal-async could not be installed.*node-pre-gyp rebuild --build-from-source --shared_gdal/s),
    });
    expect(lines.join('\n')).toMatch(/does not load .*installing its binding/);
  });
});
