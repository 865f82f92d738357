// bench/compare.mjs child: lwganet-node's Model.run() on the frozen TorchScript export or the .pt2 package.
// Protocol and arguments: runner-loop.mjs.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runnerArgs, serve } from './runner-loop.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { devices, loadModel, Tensor } = createRequire(import.meta.url)(join(root, 'dist', 'index.js'));

/** A run() result (a tensor, or arrays of them for the dense backbone) as flat float32 outputs.
 *  float32 data is passed on as it is (no copy per call, like onnxruntime-node's results). */
function flatten(value, out = []) {
  if (Array.isArray(value)) for (const v of value) flatten(v, out);
  else if (value instanceof Tensor) out.push({ shape: [...value.shape], data: value.data instanceof Float32Array ? value.data : Float32Array.from(value.data) });
  else throw new Error(`unexpected output ${typeof value}`);
  return out;
}

const args = runnerArgs();
await serve(args, async () => {
  const model = await loadModel(args.model, { threads: args.threads, threadPolicy: args.threadPolicy, warmup: args.loadWarmup });
  const input = new Tensor('float32', args.data, args.shape);
  return { forward: async () => flatten(await model.run(input)), version: devices().libtorchVersion };
});
