// Paths of the fixture models made by test/fixtures/make_models.py (npm run fixtures).
import fs from 'node:fs';
import path from 'node:path';

export const GENERATED = path.join(__dirname, '..', 'fixtures', 'generated');

/** Absolute path of a generated fixture; fails loudly when the generator has not run. */
export function fixture(name: string): string {
  const file = path.join(GENERATED, name);
  if (!fs.existsSync(file)) throw new Error(`Missing fixture ${file}: run \`npm run fixtures\` (npm test does it first)`);
  return file;
}
