// The package root works for both `require` and `import`, from the built dist/.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..');
const NAMES = ['LwganetError', 'Tensor', 'devices', 'loadModel'];

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' }).trim();
}

describe('package entry points', () => {
  it('require() exposes Tensor, loadModel, devices and LwganetError', () => {
    const out = run(['-e', `const m = require(${JSON.stringify(ROOT)}); console.log(JSON.stringify(${JSON.stringify(NAMES)}.map((n) => typeof m[n])))`]);
    expect(JSON.parse(out)).toEqual(['function', 'function', 'function', 'function']);
  });

  it('import exposes the same names as named exports', () => {
    const code = `import { Tensor, loadModel, devices, LwganetError } from ${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))};
      console.log(JSON.stringify([LwganetError, Tensor, devices, loadModel].map((v) => typeof v)));`;
    const out = run(['--input-type=module', '-e', code]);
    expect(JSON.parse(out)).toEqual(['function', 'function', 'function', 'function']);
  });
});
