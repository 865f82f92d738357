// Bad GeoTIFFs through the public API (classify, segment, the CLI): every one is IMAGE_DECODE or
// IMAGE_TOO_LARGE, decided before any tile is read, never a RangeError or a "successful" run on
// zeros. Written against the public API so it holds whatever TIFF reader sits underneath.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LwganetError, classify, loadModel, segment, type Model } from '../lib/index.js';
import { runCli } from './helpers/cli-run.js';
import { exportDenseFixtures } from './helpers/dense-models.js';
import { geotiff, pattern, tempDir, writeFixture } from './helpers/image-fixtures.js';

let dir: string;
let cleanup: () => void;
let fixtures: ReturnType<typeof exportDenseFixtures>;
let seg: Model;
let cls: Model;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('lwganet-badtiff-'));
  fixtures = exportDenseFixtures(dir);
  seg = await loadModel(fixtures.seg, { threads: 1 });
  cls = await loadModel(fixtures.classify, { threads: 1 });
});

afterAll(() => {
  seg?.dispose();
  cls?.dispose();
  cleanup?.();
});

const SIDE = 96;

/** A valid, uncompressed, georeferenced 96×96 RGB GeoTIFF (image directory first, then one strip). */
function goodTiff(): Uint8Array {
  const data = pattern(SIDE, SIDE, 3, 5);
  const bands = [0, 1, 2].map((c) => Uint8Array.from({ length: SIDE * SIDE }, (_, i) => data[i * 3 + c]!));
  return new Uint8Array(geotiff({ width: SIDE, height: SIDE, bands, epsg: 32633, origin: [500000, 4000000, 1, 1] }));
}

/** Sets a one-value tag of the first image directory to a LONG `value` (either byte order). */
function setTag(bytes: Uint8Array, tag: number, value: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const le = out[0] === 0x49;
  const ifd = view.getUint32(4, le);
  const count = view.getUint16(ifd, le);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + 12 * i;
    if (view.getUint16(entry, le) !== tag) continue;
    view.setUint16(entry + 2, 4, le); // LONG
    view.setUint32(entry + 4, 1, le);
    view.setUint32(entry + 8, value, le);
    return out;
  }
  throw new Error(`tag ${tag} not found`);
}

const IMAGE_WIDTH = 256;
const IMAGE_LENGTH = 257;
const STRIP_BYTE_COUNTS = 279;

async function failure(promise: Promise<unknown>): Promise<{ name: string; code: string | undefined; message: string }> {
  const error = (await promise.then(() => null, (e: unknown) => e)) as Error | null;
  expect(error, 'expected a failure').not.toBeNull();
  return { name: error!.name, code: (error as LwganetError).code, message: error!.message };
}

describe('bad GeoTIFFs', () => {
  it('the fixture itself is fine (so the failures below are the damage, not the file)', async () => {
    const file = writeFixture(dir, 'good.tif', goodTiff());
    expect((await segment(file, { model: seg })).width).toBe(SIDE);
  });

  it.each([
    ['a 0×0 image', () => setTag(setTag(goodTiff(), IMAGE_WIDTH, 0), IMAGE_LENGTH, 0), /could not be decoded/, true],
    ['a file cut inside the pixel data', () => goodTiff().slice(0, goodTiff().byteLength - 4000), /could not be decoded/, false],
  ])('%s: IMAGE_DECODE from classify() and segment() (path and buffer)', async (_what, make, message, viaCli) => {
    const bytes = make();
    const file = writeFixture(dir, `bad-${_what.replace(/\W+/g, '-')}.tif`, bytes);
    for (const input of [file, bytes]) {
      for (const run of [() => classify(input, { model: cls }), () => segment(input, { model: seg })]) {
        const got = await failure(run());
        expect({ code: got.code, name: got.name }).toEqual({ code: 'IMAGE_DECODE', name: 'LwganetError' });
        expect(got.message).toMatch(message);
      }
    }
    if (!viaCli) return;
    // The CLI: one line, exit 1 (an input problem, not a usage error or a bug).
    const cli = await runCli(['segment', file, '--model', fixtures.seg, '--out', `${dir}/never.png`, '--no-progress']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/^lwganet: .* \[IMAGE_DECODE\]\n$/);
  }, 120_000);

  it('a strip byte count 2 GB past the end of an uncompressed strip: GDAL (libtiff) derives the strip size from the image size and reads the real pixels, never zeros', async () => {
    const good = await segment(writeFixture(dir, 'good-again.tif', goodTiff()), { model: seg });
    const damaged = await segment(writeFixture(dir, 'bad-byte-count.tif', setTag(goodTiff(), STRIP_BYTE_COUNTS, 2 ** 31)), { model: seg });
    expect(Array.from(damaged.mask)).toEqual(Array.from(good.mask));
    const zeros = await segment({ data: new Uint8Array(SIDE * SIDE * 3), width: SIDE, height: SIDE, channels: 3 }, { model: seg });
    expect(Array.from(damaged.mask)).not.toEqual(Array.from(zeros.mask));
  });

  it('a GeoTIFF declaring 100000×100000 pixels: IMAGE_TOO_LARGE from segment() before any tile, and from classify()', async () => {
    const huge = setTag(setTag(goodTiff(), IMAGE_WIDTH, 100_000), IMAGE_LENGTH, 100_000);
    const file = writeFixture(dir, 'huge.tif', huge);
    let tiles = 0;
    const seen = await failure(segment(file, { model: seg, onProgress: () => void tiles++ }));
    expect({ code: seen.code, tiles }).toEqual({ code: 'IMAGE_TOO_LARGE', tiles: 0 });
    expect(seen.message).toMatch(/100000×100000 = 10000000000 pixels exceeds maxScenePixels 400000000/);
    expect((await failure(classify(file, { model: cls }))).code).toBe('IMAGE_TOO_LARGE');
    const cli = await runCli(['segment', file, '--model', fixtures.seg, '--out', `${dir}/never.png`, '--no-progress']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/^lwganet: .* \[IMAGE_TOO_LARGE\]\n$/);
  }, 120_000);

  it('the scene limit is the caller\'s to set (maxScenePixels), and is checked before any tile runs', async () => {
    const file = writeFixture(dir, 'scene.tif', goodTiff());
    let tiles = 0;
    const small = await failure(segment(file, { model: seg, maxScenePixels: SIDE * SIDE - 1, onProgress: () => void tiles++ }));
    expect({ code: small.code, tiles }).toEqual({ code: 'IMAGE_TOO_LARGE', tiles: 0 });
    expect((await segment(file, { model: seg, maxScenePixels: SIDE * SIDE })).width).toBe(SIDE);
    await expect(segment(file, { model: seg, maxScenePixels: 0 })).rejects.toThrow(RangeError);
    await expect(segment(file, { model: seg, maxScenePixels: '1' as never })).rejects.toThrow(TypeError);
  });
});
