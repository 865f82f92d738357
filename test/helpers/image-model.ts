/**
 * Real models for integration tests: exported once per test file by the project's Python
 * package (python -m lwganet export), with reference logits computed by torch in the same venv.
 * Nothing here skips: a missing venv, exporter or addon fails the test that needs it.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../lib/tensor/tensor.js';
import { runPython } from './image-python.js';

/** Exports `model` (default lwganet_l0 with NWPU-RESISC45 labels, seeded weights) to `dir`. */
export function exportModel(dir: string, args: string[] = ['lwganet_l0', '--labels', 'nwpu-resisc45'], name = 'classifier.pt'): string {
  const out = join(dir, name);
  runPython(['-m', 'lwganet', 'export', ...args, '--out', out], { timeoutMs: 300_000 });
  return out;
}

const FORWARD = `
import sys, numpy as np, torch
model = torch.jit.load(sys.argv[1], map_location="cpu").eval()
shape = [int(v) for v in sys.argv[3].split(",")]
x = torch.from_numpy(np.fromfile(sys.argv[2], dtype=np.float32).reshape(shape))
with torch.no_grad():
    y = model(x)
y.float().numpy().astype(np.float32).tofile(sys.argv[4])
print(",".join(str(v) for v in y.shape))
`;

/** Runs the TorchScript file in Python on `input` and returns logits and their shape. */
export function pythonForward(modelPath: string, input: Tensor, dir: string): { logits: Float32Array; shape: number[] } {
  const src = join(dir, 'forward-in.f32');
  const dst = join(dir, 'forward-out.f32');
  const data = input.data as Float32Array;
  writeFileSync(src, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const shape = runPython(['-c', FORWARD, modelPath, src, input.shape.join(','), dst]).trim().split(',').map(Number);
  const bytes = readFileSync(dst);
  return { logits: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)), shape };
}
