/** A text file written atomically (atomic.ts): it appears whole or not at all. */

import { writeAtomically } from './atomic.js';

export async function writeTextAtomically(file: string, text: string): Promise<void> {
  await writeAtomically(file, async (handle) => {
    await handle.writeFile(text, 'utf8');
  });
}
