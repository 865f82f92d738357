/** The note every command prints when a model's weights are not trained ones. */

import type { ModelMetadata } from '../metadata.js';

/** A one-line warning for seeded random weights, or null for trained weights. */
export function weightsNote(metadata: ModelMetadata | null): string | null {
  if (!metadata || metadata.weights?.source !== 'random-init') return null;
  const seed = metadata.weights.seed === null ? '' : ` (seed ${metadata.weights.seed})`;
  return `note: ${metadata.model} has seeded random weights${seed}, not trained ones, so its predictions are meaningless; `
    + `trained ImageNet-1k weights: npx lwganet pretrained ${metadata.variant} --out lwganet_${metadata.variant}.pt`;
}
