/**
 * Models a batch process serves, each loaded once into one InferencePool: by path, or by
 * http(s) URL (downloaded once into the weights cache, LWGANET_CACHE or ~/.cache/lwganet-node,
 * under batch-models/). Concurrent scenes asking for one model share the load. A load that
 * fails is forgotten, so the next scene tries again (a file that appears later, a network
 * that comes back) and its error goes to that scene.
 */

import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LwganetError } from '../errors.js';
import { InferencePool } from '../pool/inference-pool.js';
import type { InferencePoolOptions } from '../pool/pool-options.js';
import type { TaskModel } from '../tasks/task-model.js';
import { cacheDir } from '../weights/cache.js';
import { download } from '../weights/download.js';

export interface CachedModel {
  pool: InferencePool;
  /** The pool as a task pipeline's model: its metadata and its run(). */
  model: TaskModel;
}

function isUrl(ref: string): boolean {
  return /^https?:\/\//i.test(ref);
}

/** The local file of a model reference, downloading a URL on first use. */
export async function localModelFile(ref: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (!isUrl(ref)) {
    if (!existsSync(ref) || !statSync(ref).isFile()) throw new LwganetError('MODEL_NOT_FOUND', `Model file ${JSON.stringify(ref)} does not exist on this machine`);
    return ref;
  }
  const file = join(cacheDir(env), 'batch-models', `${createHash('sha256').update(ref).digest('hex').slice(0, 24)}.pt`);
  if (!existsSync(file)) await download(ref, file);
  return file;
}

export class ModelCache {
  readonly #pools = new Map<string, Promise<CachedModel>>();
  readonly #options: InferencePoolOptions;

  constructor(poolOptions: InferencePoolOptions = {}) {
    this.#options = poolOptions;
  }

  get(ref: string): Promise<CachedModel> {
    let entry = this.#pools.get(ref);
    if (!entry) {
      entry = this.#load(ref);
      this.#pools.set(ref, entry);
      entry.catch(() => this.#pools.delete(ref));
    }
    return entry;
  }

  async #load(ref: string): Promise<CachedModel> {
    const pool = await InferencePool.create(await localModelFile(ref), this.#options);
    const model: TaskModel = { metadata: pool.metadata, run: (inputs, options) => pool.run(inputs, options) };
    return { pool, model };
  }

  /** Lets running forwards finish, then frees every model. */
  async close(): Promise<void> {
    const entries = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(entries.map((entry) => entry.then((m) => m.pool.close({ drain: true }), () => undefined)));
  }
}
