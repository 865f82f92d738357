/**
 * Class names of the oriented-detection label sets, in class-index order (heads.md §7.6): the
 * names DOTA's own annotation files use, which are also the `Task1_<class>.txt` submission names.
 * python/lwganet declares the same lists; parseMetadata() checks a model's labels against them.
 */

export const DOTA_V1_0: readonly string[] = Object.freeze([
  'plane', 'baseball-diamond', 'bridge', 'ground-track-field', 'small-vehicle', 'large-vehicle', 'ship',
  'tennis-court', 'basketball-court', 'storage-tank', 'soccer-ball-field', 'roundabout', 'harbor',
  'swimming-pool', 'helicopter',
]);

/** DOTA-v1.5: the 15 v1.0 classes plus container-crane. */
export const DOTA_V1_5: readonly string[] = Object.freeze([...DOTA_V1_0, 'container-crane']);

/** Label sets a rotated-detection model may declare by name (any other model says "custom"). */
export const DETECTION_LABEL_SETS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'dota-v1.0': DOTA_V1_0,
  'dota-v1.5': DOTA_V1_5,
});
