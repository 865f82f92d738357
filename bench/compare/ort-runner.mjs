// bench/compare.mjs child: onnxruntime-node on the ONNX export of the same weights, CPU execution
// provider, graphOptimizationLevel 'all', intraOpNumThreads = the bench's thread count.
// Protocol and arguments: runner-loop.mjs.
import { createRequire } from 'node:module';
import { runnerArgs, serve } from './runner-loop.mjs';

const ort = createRequire(import.meta.url)('onnxruntime-node');

const args = runnerArgs();
await serve(args, async () => {
  const session = await ort.InferenceSession.create(args.model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', args.data, args.shape) };
  const forward = async () => {
    const results = await session.run(feeds);
    return session.outputNames.map((name) => ({ shape: [...results[name].dims], data: results[name].data }));
  };
  return { forward, version: createRequire(import.meta.url)('onnxruntime-node/package.json').version };
});
