// The input every runtime of bench/compare.mjs (and bench/levers.mjs) times: seeded values in
// [-1.5, 1.5) (xorshift32), about the range of a normalised image, as a raw float32 file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `dir`/input-<shape>.bin and returns { file, shape }. */
export function writeSeededInput(dir, shape) {
  const file = join(dir, `input-${shape.join('x')}.bin`);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let x = 0x2545f491;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    data[i] = ((x >>> 0) / 2 ** 32) * 3 - 1.5;
  }
  writeFileSync(file, Buffer.from(data.buffer));
  return { file, shape };
}
