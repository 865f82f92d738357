// A model made only for the pool tests: its forward fails when any input value is negative,
// so a batch containing one bad request fails as a whole while each good request alone works.
// Exported once per machine into the OS temp dir with the project venv (same torch as the addon).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

const SOURCE = `
import sys, torch
class FailsOnNegative(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if bool((x < 0).any()):
            raise RuntimeError("pool fixture: negative input")
        return x * 2.0
torch.jit.save(torch.jit.script(FailsOnNegative()), sys.argv[1])
`;

/** Path of fails_on_negative.pt: forward(x) = x * 2, raising when any element of x is < 0. */
export function failsOnNegativeModel(): string {
  const dir = path.join(os.tmpdir(), 'lwganet-pool-fixtures');
  const file = path.join(dir, 'fails_on_negative.pt');
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  // TorchScript compiles from source text, so the module must live in a real .py file.
  const script = path.join(dir, `make_fails_on_negative.${process.pid}.py`);
  fs.writeFileSync(script, SOURCE);
  const run = spawnSync(PYTHON, [script, partial], { encoding: 'utf8' });
  fs.rmSync(script, { force: true });
  if (run.status !== 0) throw new Error(`Could not export the pool fixture with ${PYTHON}: ${run.stderr || run.error}`);
  fs.renameSync(partial, file); // atomic: parallel test processes never read a half-written file
  return file;
}
