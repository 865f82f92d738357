/**
 * Loads a model for a CLI command. The model module (and with it the native addon) is imported
 * only here, on demand, so `export`, `weights` and `--help` work without a built addon.
 */

import { existsSync, statSync } from 'node:fs';
import { LwganetError } from '../../errors.js';
import type { Model } from '../../model/model.js';
import { asUsageError } from '../flags.js';

/** What the commands pass on to loadModel (their --device and --threads). */
export interface CliLoadFlags {
  device?: string;
  threads?: number;
}

export async function loadModelForCli(file: string, flags: CliLoadFlags = {}): Promise<Model> {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new LwganetError('MODEL_NOT_FOUND', `Model file ${JSON.stringify(file)} does not exist (create one with "lwganet export" or "lwganet weights fetch")`);
  }
  const { loadModel } = await import('../../model/model.js');
  const options = Object.fromEntries(Object.entries({ device: flags.device, threads: flags.threads }).filter(([, v]) => v !== undefined));
  try {
    return await loadModel(file, options);
  } catch (error) {
    throw asUsageError(error);
  }
}
