/**
 * fetchWeights(): official checkpoint → verified download → TorchScript file (or compiled .pt2
 * package) in the cache.
 * Verification is layered: the bytes must be a torch.save file, must match the known sha256 when
 * there is one, and must load strictly into the model (the exporter refuses missing or
 * unexpected keys), so a wrong or damaged file never reaches the cache.
 */

import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { trackTempFile, untrackTempFile } from '../output/temp-files.js';
import { LwganetError, invalidArgument } from '../errors.js';
import { cacheDir, checkpointPath, modelPath, type ModelFileFormat } from './cache.js';
import { download } from './download.js';
import { checkPython, PythonToolError, runPython } from './python.js';
import { verifyCheckpoint } from './verify.js';
import { OFFICIAL_WEIGHTS, WEIGHTS_VARIANTS, type WeightsVariant } from './variants.js';

export interface FetchWeightsOptions {
  /** Download from this URL instead of the official release (a mirror, or a local server). */
  from?: string;
  /** Cache directory; default cacheDir() ($LWGANET_CACHE or ~/.cache/lwganet-node). */
  cacheDir?: string;
  /** Download and convert again even when the model is cached. */
  force?: boolean;
  /** Expected sha256 of the checkpoint (overrides the known one). */
  sha256?: string;
  /**
   * 'pt' (default): TorchScript, cached once converted. 'pt2': an AOTInductor package compiled for
   * the CPU at the classifier's 224² input, batch 1 — the fastest way to run it, ~1 min to compile
   * on 2 cores. A package runs only on the torch that compiled it, so it is compiled again on
   * every call (from the cached checkpoint) rather than reused after a torch upgrade.
   */
  format?: ModelFileFormat;
  onProgress?: (received: number, total: number | null) => void;
  /** Environment for locating Python ($LWGANET_PYTHON) and the cache. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface FetchedWeights {
  /** The model file to pass to loadModel(): TorchScript, or a .pt2 package with format 'pt2'. */
  model: string;
  checkpoint: string;
  /** sha256 of the checkpoint (null when the model came from the cache). */
  sha256: string | null;
  url: string;
  /** True when nothing was downloaded because the model was already cached. */
  cached: boolean;
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path).on('data', (c) => hash.update(c)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
  });
}

function checkOptions(variant: unknown, options: FetchWeightsOptions): void {
  if (!WEIGHTS_VARIANTS.includes(variant as WeightsVariant)) throw invalidArgument('variant', `one of ${WEIGHTS_VARIANTS.join(', ')}`, variant, typeof variant === 'string' ? 'range' : 'type');
  if (options.from !== undefined) {
    let protocol = '';
    try {
      protocol = new URL(options.from).protocol;
    } catch {
      throw invalidArgument('from', 'an http(s) URL', options.from, 'range');
    }
    if (protocol !== 'http:' && protocol !== 'https:') throw invalidArgument('from', 'an http(s) URL', options.from, 'range');
  }
  if (options.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(options.sha256)) throw invalidArgument('sha256', '64 hexadecimal digits', options.sha256, 'range');
  if (options.format !== undefined && options.format !== 'pt' && options.format !== 'pt2') {
    throw invalidArgument('format', "'pt' or 'pt2'", options.format, typeof options.format === 'string' ? 'range' : 'type');
  }
}

/**
 * Fetches, verifies and converts the official ImageNet-1k weights of one variant.
 * @param variant 'l0' | 'l1' | 'l2'
 * @returns where the model (TorchScript, or the .pt2 package with format 'pt2') and the checkpoint are
 * @throws LwganetError MODEL_NOT_FOUND (download failed), MODEL_CORRUPT (not a checkpoint, wrong
 *   sha256, does not load strictly into the model); PythonToolError when Python or torch are
 *   missing (PYTHON_UNAVAILABLE, TORCH_UNAVAILABLE) or the exporter fails (EXPORT_FAILED).
 */
export async function fetchWeights(variant: WeightsVariant, options: FetchWeightsOptions = {}): Promise<FetchedWeights> {
  checkOptions(variant, options);
  const official = OFFICIAL_WEIGHTS[variant];
  const env = options.env ?? process.env;
  const dir = options.cacheDir ?? cacheDir(env);
  const url = options.from ?? official.url;
  const checkpoint = checkpointPath(dir, official.file);
  const format = options.format ?? 'pt';
  const model = modelPath(dir, official.model, official.labelSet, format);
  if (!options.force && format === 'pt' && existsSync(model)) return { model, checkpoint, sha256: null, url, cached: true };

  const expected = options.sha256 ?? official.sha256;
  let sha256: string;
  if (!options.force && existsSync(checkpoint)) {
    sha256 = await sha256File(checkpoint);
    if (expected && expected.toLowerCase() !== sha256) sha256 = await download(url, checkpoint, { sha256: expected, onProgress: options.onProgress });
  } else {
    sha256 = await download(url, checkpoint, { sha256: expected, onProgress: options.onProgress });
  }

  await checkPython(env);
  try {
    await verifyCheckpoint(checkpoint, official.model, env);
  } catch (error) {
    // A checkpoint that does not load is useless; drop it so the next fetch downloads again.
    if (error instanceof LwganetError) await rm(checkpoint, { force: true });
    throw error;
  }
  await mkdir(dirname(model), { recursive: true });
  // Written under a temporary name (still ending in .pt or .pt2) and renamed once complete.
  const partial = join(dirname(model), `.${basename(model, `.${format}`)}.partial.${format}`);
  const compiled = format === 'pt2' ? ['--format', 'pt2', '--batch', '1'] : [];
  trackTempFile(partial);
  try {
    const run = await runPython(['-m', 'lwganet', 'export', official.model, '--weights', checkpoint, '--labels', official.labelSet, ...compiled, '--out', partial], { env });
    if (run.code !== 0) {
      const why = run.stderr.trim().split('\n').slice(-3).join(' | ');
      throw new PythonToolError('EXPORT_FAILED', `Converting ${checkpoint} (from ${url}) into ${official.model} failed: ${why}`, run.code);
    }
    await rename(partial, model);
  } finally {
    await rm(partial, { force: true });
    untrackTempFile(partial);
  }
  return { model, checkpoint, sha256, url, cached: false };
}
