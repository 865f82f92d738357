/**
 * Checks that a downloaded checkpoint loads into its model before it is converted: torch.load
 * with weights_only=True (no code runs from the file), the state_dict under 'model' (the layout
 * of the official files and of classification/train.py), and load_state_dict(strict=True).
 * A separate step so a bad file (MODEL_CORRUPT, file dropped) is told apart from an exporter
 * failure (EXPORT_FAILED, file kept).
 */

import { LwganetError } from '../errors.js';
import { PythonToolError, runPython } from './python.js';

/** Exit status the script uses for "this file is not a usable checkpoint". */
const BAD_CHECKPOINT = 3;

const VERIFY = `
import sys, torch, lwganet
path, name = sys.argv[1], sys.argv[2]
def bad(why):
    print(why, file=sys.stderr)
    sys.exit(${BAD_CHECKPOINT})
try:
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
except Exception as e:
    bad(f"torch.load failed: {str(e).splitlines()[0]}")
state = ckpt.get("model", ckpt) if isinstance(ckpt, dict) else None
if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
    bad("no state_dict of tensors under 'model'")
try:
    lwganet.create_model(name).load_state_dict(state, strict=True)
except RuntimeError as e:
    bad(" ".join(str(e).split())[:400])
print(sum(v.numel() for v in state.values()))
`;

/** Resolves when `checkpoint` loads strictly into `model`; throws MODEL_CORRUPT otherwise. */
export async function verifyCheckpoint(checkpoint: string, model: string, env: NodeJS.ProcessEnv): Promise<void> {
  const run = await runPython(['-c', VERIFY, checkpoint, model], { env });
  if (run.code === BAD_CHECKPOINT) {
    throw new LwganetError('MODEL_CORRUPT', `The checkpoint ${checkpoint} does not load into ${model}: ${run.stderr.trim()}`);
  }
  if (run.code !== 0) {
    throw new PythonToolError('EXPORT_FAILED', `Checking the checkpoint ${checkpoint} failed in Python: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`, run.code);
  }
}
