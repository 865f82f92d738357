/**
 * Class names of the oriented-detection label sets, in class-index order: the names DOTA's own
 * annotation files use, which are also the `Task1_<class>.txt` submission names. DOTA-v1.5 is
 * the 15 v1.0 classes plus container-crane. Read from python/lwganet/data/dota_label_sets.json,
 * the file the Python exporter reads too; parseMetadata() checks a model's labels against them.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

interface LabelSetFile {
  [name: string]: { labels: string[]; palette: Array<[number, number, number]> };
}

const FILE = join(PACKAGE_ROOT, 'python', 'lwganet', 'data', 'dota_label_sets.json');
const SETS = JSON.parse(readFileSync(FILE, 'utf8')) as LabelSetFile;

/** Label sets a rotated-detection model may declare by name (any other model says "custom"). */
export const DETECTION_LABEL_SETS: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.fromEntries(Object.entries(SETS).map(([name, set]) => [name, Object.freeze([...set.labels])])),
);

export const DOTA_V1_0: readonly string[] = DETECTION_LABEL_SETS['dota-v1.0'];

/** DOTA-v1.5: the 15 v1.0 classes plus container-crane. */
export const DOTA_V1_5: readonly string[] = DETECTION_LABEL_SETS['dota-v1.5'];
