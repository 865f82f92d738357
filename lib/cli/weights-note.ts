/** The note every command prints when a model's weights are not trained ones. */

import type { ModelMetadata } from '../model/metadata.js';

/** Where trained weights for each task come from (upstream released none for segmentation or change detection). */
function trainedWeightsHint(metadata: ModelMetadata): string {
  switch (metadata.task) {
    case 'classification':
      return `trained ImageNet-1k weights: npx lwganet pretrained ${metadata.variant} --out lwganet_${metadata.variant}.pt`;
    case 'rotated-detection':
      return `export a trained checkpoint (the official DOTA .pth files) with "lwganet export ${metadata.model} --weights FILE"`;
    default:
      // No trained segmentation or change-detection weights were released upstream; an ImageNet
      // classifier checkpoint would not fit these heads.
      return `no trained ${metadata.task} weights were released upstream: train ${metadata.model} (or take a checkpoint of your own) and export it with "lwganet export ${metadata.model} --weights FILE"`;
  }
}

/** A one-line warning for seeded random weights, or null for trained weights. */
export function weightsNote(metadata: ModelMetadata | null): string | null {
  if (!metadata || metadata.weights?.source !== 'random-init') return null;
  const seed = metadata.weights.seed === null ? '' : ` (seed ${metadata.weights.seed})`;
  const what = metadata.task === 'rotated-detection' ? 'detections' : 'predictions';
  return `note: ${metadata.model} has seeded random weights${seed}, not trained ones, so its ${what} are meaningless; ${trainedWeightsHint(metadata)}`;
}
