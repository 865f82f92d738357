/**
 * Loads a model for a CLI command. The model module (and with it the native addon) is imported
 * only here, on demand, so `export`, `weights` and `--help` work without a built addon.
 */

import { existsSync, statSync } from 'node:fs';
import { LwganetError } from '../../errors.js';
import type { Model } from '../../model.js';

export async function loadModelForCli(file: string, device: string | undefined): Promise<Model> {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new LwganetError('MODEL_NOT_FOUND', `Model file ${JSON.stringify(file)} does not exist (create one with "lwganet export" or "lwganet weights fetch")`);
  }
  const { loadModel } = await import('../../model.js');
  return loadModel(file, device === undefined ? {} : { device });
}
