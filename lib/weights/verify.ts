/**
 * Checks that a downloaded checkpoint loads into its model before it is converted, with the
 * Python package's own strict loader (lwganet.checkpoint.load_checkpoint: torch.load with
 * weights_only=True so no code runs from the file, the usual wrappers and key prefixes, every
 * missing/unexpected/wrong-shaped key listed).
 * A separate step so a bad file (MODEL_CORRUPT, file dropped) is told apart from an exporter
 * failure (EXPORT_FAILED, file kept).
 */

import { LwganetError } from '../errors.js';
import { PythonToolError, runPython } from './python.js';

/** Exit status the script uses for "this file is not a usable checkpoint". */
const BAD_CHECKPOINT = 3;

const VERIFY = `
import sys, lwganet
from lwganet.checkpoint import CheckpointError, load_checkpoint
path, name = sys.argv[1], sys.argv[2]
try:
    load_checkpoint(lwganet.create_model(name), path, strict=True)
except CheckpointError as e:
    print(" | ".join(str(e).splitlines()[:6]), file=sys.stderr)
    sys.exit(${BAD_CHECKPOINT})
`;

/** Resolves when `checkpoint` loads strictly into `model`; throws MODEL_CORRUPT otherwise. */
export async function verifyCheckpoint(checkpoint: string, model: string, env: NodeJS.ProcessEnv): Promise<void> {
  const run = await runPython(['-c', VERIFY, checkpoint, model], { env });
  if (run.code === BAD_CHECKPOINT) {
    throw new LwganetError('MODEL_CORRUPT', `The downloaded checkpoint does not load into ${model}: ${run.stderr.trim()}`);
  }
  if (run.code !== 0) {
    throw new PythonToolError('EXPORT_FAILED', `Checking the checkpoint ${checkpoint} failed in Python: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`, run.code);
  }
}
