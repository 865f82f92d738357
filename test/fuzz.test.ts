// Property-based checks (fast-check, fixed seeds, a few seconds each): whatever a caller passes
// to Tensor construction, run()/runSync(), option objects or the image decoder, the outcome is a
// result or one clear error (LwganetError with a known code, TypeError, RangeError); never a
// crash, a hang, or an error of any other kind.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../lib/errors.js';
import { LwganetError, Tensor, decodeImage, loadModel, type Model } from '../lib/index.js';
import { fixture } from './helpers/fixtures.js';
import { encode, geotiff, pattern } from './helpers/image-fixtures.js';

const SEED = 20261203;
const BUDGET = { seed: SEED, interruptAfterTimeLimit: 4000, markInterruptAsFailure: false } as const;
const CODES = new Set<string>(ERROR_CODES);

/** The error is one of the clear kinds (or the call succeeded). */
function clear(error: unknown): boolean {
  if (error instanceof LwganetError) return CODES.has(error.code) && error.message.length > 0;
  return (error instanceof TypeError || error instanceof RangeError) && error.message.length > 0;
}

function outcomeSync(run: () => unknown): unknown {
  try {
    run();
    return null;
  } catch (error) {
    return error;
  }
}

async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
    return null;
  } catch (error) {
    return error;
  }
}

const DTYPE_NAMES = ['float32', 'float64', 'float16', 'uint8', 'int8', 'int32', 'int64', 'bool', 'float', 'int', '', 'FLOAT32'];
const typedArrays = fc.oneof(
  fc.float32Array({ maxLength: 24 }),
  fc.float64Array({ maxLength: 24 }),
  fc.uint8Array({ maxLength: 24 }),
  fc.int8Array({ maxLength: 24 }),
  fc.int32Array({ maxLength: 24 }),
  fc.uint16Array({ maxLength: 24 }),
  fc.bigInt64Array({ maxLength: 24 }),
  fc.integer({ min: 0, max: 24 }).map((n) => new Float32Array(new SharedArrayBuffer(n * 4))),
);
const dataLike = fc.oneof(typedArrays, fc.array(fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.bigInt(), fc.string()), { maxLength: 24 }), fc.anything());
const dims = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: -3, max: 3 }), fc.double(), fc.constantFrom(2 ** 53, 2 ** 31, Infinity, NaN), fc.string());
const shapeLike = fc.oneof(fc.array(dims, { maxLength: 5 }), fc.constant(undefined), fc.anything());

/** A well-formed tensor of any dtype and a small shape (so forwards are cheap). */
const goodTensor = fc.constantFrom('float32', 'float64', 'uint8', 'int8', 'int32', 'int64', 'bool').chain((dtype) =>
  fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'int64' ? new BigInt64Array(n) : dtype === 'bool' ? new Uint8Array(n) : new ({ float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int8: Int8Array, int32: Int32Array } as const)[dtype as 'float32'](n);
    return new Tensor(dtype as never, data as never, shape);
  }),
);
const inputsLike = fc.oneof(
  goodTensor,
  fc.array(fc.oneof(goodTensor, fc.constant(null), fc.anything()), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('x', 'y', 'a', 'b', 'z', '__proto__', 'constructor'), fc.oneof(goodTensor, fc.constant(null), fc.anything()), { maxKeys: 3 }),
  fc.anything(),
);

let identity: Model;
let add: Model;
let optional: Model;
beforeAll(async () => {
  [identity, add, optional] = await Promise.all([loadModel(fixture('identity.pt'), { threads: 1 }), loadModel(fixture('add.pt'), { threads: 1 }), loadModel(fixture('optional_arg.pt'), { threads: 1 })]);
});
afterAll(() => [identity, add, optional].forEach((m) => m?.dispose()));

describe('fuzz: Tensor construction', () => {
  it('builds a Tensor whose size is its shape product, or throws TypeError/RangeError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DTYPE_NAMES), dataLike, shapeLike, (dtype, data, shape) => {
        const error = outcomeSync(() => {
          const t = new Tensor(dtype as never, data as never, shape as never);
          expect(t.shape.reduce((a, b) => a * b, 1)).toBe(t.size);
        });
        if (error !== null && !(error instanceof TypeError || error instanceof RangeError)) throw error;
      }),
      { ...BUDGET, numRuns: 3000 },
    );
  });
});

describe('fuzz: run() and runSync() inputs', () => {
  it('resolve, or fail with a clear error, on models of one, two and optional arguments', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1, 2), inputsLike, async (which, inputs) => {
        const model = [identity, add, optional][which]!;
        const asyncError = await outcome(() => model.run(inputs as never));
        if (asyncError !== null && !clear(asyncError)) throw asyncError;
        const syncError = outcomeSync(() => model.runSync(inputs as never));
        if (syncError !== null && !clear(syncError)) throw syncError;
        // The same input gets the same kind of answer either way.
        expect(syncError === null).toBe(asyncError === null);
      }),
      { ...BUDGET, numRuns: 400 },
    );
  });
});

describe('fuzz: option objects', () => {
  it('loadModel() options: a model, or a clear error', async () => {
    const options = fc.oneof(
      fc.record({ device: fc.oneof(fc.constantFrom('cpu', 'cuda', 'cuda:0', 'cuda:-1', 'gpu', 'cpu:1', ''), fc.anything()), dtype: fc.oneof(fc.constantFrom('float32', 'float16', 'int8'), fc.anything()), threads: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.double(), fc.anything()), warmup: fc.anything() }, { requiredKeys: [] }),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(options, async (opts) => {
        const error = await outcome(async () => (await loadModel(fixture('identity.pt'), opts as never)).dispose());
        if (error !== null && !clear(error)) throw error;
      }),
      { ...BUDGET, numRuns: 150 },
    );
  });

  it('decodeImage() options on a GeoTIFF: pixels, or a clear error', async () => {
    const bands = [0, 1, 2].map((c) => Uint8Array.from(pattern(16, 16, 3, 7).filter((_, i) => i % 3 === c)));
    const tiff = new Uint8Array(geotiff({ width: 16, height: 16, bands, epsg: 32633, origin: [0, 0, 1, 1] }));
    const small = fc.integer({ min: -2, max: 20 });
    const options = fc.oneof(
      fc.record({
        maxPixels: fc.oneof(fc.integer({ min: -1, max: 400 }), fc.double(), fc.anything()),
        window: fc.oneof(fc.tuple(small, small, small, small), fc.anything()),
        bands: fc.oneof(fc.tuple(small, small, small), fc.anything()),
        valueRange: fc.oneof(fc.tuple(fc.double(), fc.double()), fc.constantFrom('dtype', 'minmax', 'auto'), fc.anything()),
      }, { requiredKeys: [] }),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(options, async (opts) => {
        const error = await outcome(() => decodeImage(tiff, opts as never));
        if (error !== null && !clear(error)) throw error;
      }),
      { ...BUDGET, numRuns: 300 },
    );
  });
});

describe('fuzz: image headers', () => {
  it('PNG, JPEG, TIFF and GeoTIFF with damaged headers or cut anywhere: pixels, or IMAGE_DECODE / IMAGE_TOO_LARGE', async () => {
    const rgb = pattern(24, 16, 3, 11);
    const bands = [0, 1, 2].map((c) => Uint8Array.from(rgb.filter((_, i) => i % 3 === c)));
    const originals = [
      new Uint8Array(await encode(rgb, 24, 16, 3, 'png')),
      new Uint8Array(await encode(rgb, 24, 16, 3, 'jpeg')),
      new Uint8Array(await encode(rgb, 24, 16, 3, 'tiff')),
      new Uint8Array(geotiff({ width: 24, height: 16, bands, epsg: 4326, geographic: true, origin: [10, 50, 0.001, 0.001] })),
    ];
    const damage = fc.record({
      which: fc.integer({ min: 0, max: originals.length - 1 }),
      edits: fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
    });
    await fc.assert(
      fc.asyncProperty(damage, async ({ which, edits, cut }) => {
        let bytes = originals[which]!.slice();
        for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value; // the header lives in the first bytes
        if (cut !== null) bytes = bytes.subarray(0, Math.floor(bytes.length * cut));
        const error = await outcome(() => decodeImage(bytes, { maxPixels: 1_000_000 }));
        if (error === null) return;
        if (!(error instanceof LwganetError) || !['IMAGE_DECODE', 'IMAGE_TOO_LARGE'].includes(error.code)) throw error;
      }),
      { ...BUDGET, numRuns: 400 },
    );
  });
});
