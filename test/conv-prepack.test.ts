// The opt-in load-time oneDNN packing (native/conv_prepack.cc): off by default; with
// LWGANET_PREPACK=1 it rewrites a frozen export's convolutions and gives the same results.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../lib/index.js';
import { fixture } from './helpers/fixtures.js';
import { ROOT } from './helpers/image-python.js';

describe('convolution prepacking', () => {
  it('is off by default', async () => {
    const model = await loadModel(fixture('conv.pt'));
    expect(model.prepackedConvolutions).toBe(0);
  });

  it('with LWGANET_PREPACK=1 rewrites the frozen conv net and matches its expected output', () => {
    const io = JSON.parse(fs.readFileSync(fixture('conv_io.json'), 'utf8'));
    const script = `const l = require(${JSON.stringify(join(ROOT, 'dist', 'index.js'))}); const fs = require('fs');
      const bytes = fs.readFileSync(${JSON.stringify(fixture(io.input.file))});
      const want = new Float32Array(fs.readFileSync(${JSON.stringify(fixture(io.output.file))}).buffer.slice(0));
      const m = l.loadModelSync(${JSON.stringify(fixture('conv.pt'))});
      const out = m.runSync(new l.Tensor('float32', new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), ${JSON.stringify(io.input.shape)}));
      let worst = 0; for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(out.data[i] - want[i]) - ${io.tolerance.rtol} * Math.abs(want[i]));
      console.log(JSON.stringify({ packed: m.prepackedConvolutions, worst, shape: out.shape }));`;
    const env = { ...process.env, LWGANET_PREPACK: '1' };
    const report = JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }).trim().split('\n').pop()!);
    expect(report.packed).toBe(3); // conv.pt: three 2-D convolutions with constant weights
    expect(report.shape).toEqual(io.output.shape);
    expect(report.worst).toBeLessThanOrEqual(io.tolerance.atol);
  });
});
