/**
 * Softmax and top-k over logit rows: pure functions, float64 arithmetic, so the scores do not
 * depend on the model's output precision beyond the logits themselves.
 */

/** One class of a prediction: its label, its index in the model's output, its probability. */
export interface Prediction {
  label: string;
  index: number;
  score: number;
}

/** Numerically stable softmax (subtracts the row maximum first). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/**
 * The k most probable classes, most probable first; ties keep the lower index first (like a
 * stable sort), so results are deterministic.
 * @param labelOf maps a class index to its label
 */
export function topK(logits: ArrayLike<number>, k: number, labelOf: (index: number) => string): Prediction[] {
  const probabilities = softmax(logits);
  const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b] - probabilities[a] || a - b);
  return order.slice(0, Math.min(k, order.length)).map((index) => ({ label: labelOf(index), index, score: probabilities[index] }));
}
