/**
 * Entry of a pool worker thread: loads the model once (the native cache shares the weights
 * with every other handle on the same file), reports what the pool needs to validate
 * requests, then runs one forward per message.
 *
 * runSync, not run: this thread exists only to run forwards, so blocking it is the point, and
 * it lets N workers run N forwards at once instead of queuing on the addon's own (process-wide)
 * inference threads.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { loadModel, type Model } from '../model/model.js';
import { RUN_ORDERED_SYNC } from '../model/run-ordered.js';
import { compiledBatchSizes } from './compiled-batches.js';
import { type ForwardMessage, type FromWorker, type ResultMessage, type WorkerConfig, fromWireTensor, toWireError, toWireValue } from './messages.js';

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

function serve(model: Model, message: ForwardMessage): void {
  let reply: ResultMessage;
  try {
    // The pool checked every request with orderInputs() when it was queued.
    const inputs = message.inputs.map((input) => (input === null ? null : fromWireTensor(input)));
    reply = { type: 'result', id: message.id, output: toWireValue(model[RUN_ORDERED_SYNC](inputs)) };
  } catch (error) {
    reply = { type: 'result', id: message.id, error: toWireError(error) };
  }
  // Output buffers are copied by the structured clone: the addon hands out external buffers,
  // which Node cannot always transfer, and a batch's output is small next to its forward.
  post(reply);
}

async function main(): Promise<void> {
  const config = workerData as WorkerConfig;
  let model: Model;
  try {
    model = await loadModel(config.modelPath, { device: config.device, threads: config.threads, threadPolicy: config.threadPolicy, warmup: config.warmup });
  } catch (error) {
    post({ type: 'load-failed', error: toWireError(error) });
    return;
  }
  post({ type: 'ready', inputs: [...model.inputs], metadata: model.metadata, dtype: model.dtype, batchSizes: compiledBatchSizes(model) });
  parentPort!.on('message', (message: ForwardMessage) => serve(model, message));
}

void main();
