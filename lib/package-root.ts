/** The package root, defined once: this file sits in lib/ (sources) or dist/ (compiled), one level below it. */

import path from 'node:path';

export const PACKAGE_ROOT = path.join(__dirname, '..');
