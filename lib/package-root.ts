/**
 * The package root, defined once: this file sits in lib/ (sources) or dist/ (compiled), one level
 * below it. Files in lib/'s folders reach the root through this, never through their own
 * __dirname, so moving one between folders cannot break a path.
 */

import path from 'node:path';

export const PACKAGE_ROOT = path.join(__dirname, '..');
