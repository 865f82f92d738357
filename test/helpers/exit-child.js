// Child process of test/exit-safety.test.ts: loads a fixture model, starts forwards, and ends the
// process at a given point while they run. argv: dist/index.js, model path, mode, delay ms
// (negative: while the model loads).
//   mode exit   -> process.exit(3)
//   mode throw  -> an uncaught exception (exit code 1)
//   mode reject -> an unhandled promise rejection (exit code 1)
//   mode sigterm-handler -> a SIGTERM handler that calls process.exit(143)
//   mode sigterm -> waits for the parent's SIGTERM with no handler (the default action)
//   mode exit-on-result -> process.exit(3) inside a run()'s result callback, right after submitting
//     the next runs (delay = how many results come first): the inference thread that delivered the
//     result may be handed a new job before it has finished with the last one
const [dist, modelPath, mode, delayText] = process.argv.slice(2);
const { loadModel, Tensor } = require(dist);
const delay = Number(delayText);

function end() {
  if (mode === 'exit') process.exit(3);
  if (mode === 'throw') throw new Error('planned uncaught exception');
  if (mode === 'reject') Promise.reject(new Error('planned unhandled rejection'));
  if (mode === 'sigterm-handler') process.kill(process.pid, 'SIGTERM');
}

// Two runs in flight; each result submits the next, and the `delay`-th submits two more and exits.
function exitOnResult(model, input) {
  let results = 0;
  const next = () =>
    model.run(input).then(() => {
      if (++results === delay) {
        next();
        next();
        process.exit(3);
      }
      next();
    });
  next();
  next();
}

if (mode === 'sigterm-handler') process.on('SIGTERM', () => process.exit(143));
// A negative delay ends the process while the model loads (counted from loadModel()); otherwise
// the delay counts from the first forwards of the freshly loaded model.
if (delay < 0 && mode !== 'sigterm') setTimeout(end, -delay);
(async () => {
  const model = await loadModel(modelPath, { threads: 1 });
  const input = new Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.5), [1, 3, 224, 224]);
  if (mode === 'exit-on-result') return exitOnResult(model, input);
  if (delay >= 0 && mode !== 'sigterm') setTimeout(end, delay);
  setImmediate(() => process.send?.('running'));
  // Keep forwards in flight on every inference thread until the process ends.
  for (;;) await Promise.all([model.run(input), model.run(input), model.run(input), model.run(input)]);
})();
