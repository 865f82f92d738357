/** The one option vocabulary (lib/options.ts): message form, did-you-mean, error kinds. */

import { describe, expect, it } from 'vitest';
import {
  booleanOption, enumOption, integerOption, nearestName, numberOption, optionError, optionOf, positiveIntegerOption,
  rejectUnknownOptions, resolvePipelineOptions, signalOption,
} from '../lib/options.js';
import { resolvePoolOptions } from '../lib/pool/pool-options.js';
import { resolveDenseOptions } from '../lib/tasks/dense-options.js';

const KNOWN = ['model', 'topK', 'batchSize', 'scoreThreshold', 'iouThreshold'];

describe('unknown option names', () => {
  it('suggests the name a misspelling meant: another case, or up to two edits', () => {
    expect(nearestName('topk', KNOWN)).toBe('topK');
    expect(nearestName('TOPK', KNOWN)).toBe('topK');
    expect(nearestName('bachSize', KNOWN)).toBe('batchSize');
    expect(nearestName('scoreTreshold', KNOWN)).toBe('scoreThreshold');
    expect(nearestName('iouThresholds', KNOWN)).toBe('iouThreshold');
    expect(nearestName('colour', KNOWN)).toBeNull();
    expect(nearestName('top', KNOWN)).toBe('topK'); // the CLI's older --top
    expect(nearestName('mode', KNOWN)).toBe('model');
    expect(nearestName('threshold', KNOWN)).toBeNull(); // five edits from the nearest: no guess
  });

  it('reports one unknown key in one message form, as a RangeError', () => {
    expect(() => rejectUnknownOptions({ model: 1, topk: 3 }, KNOWN)).toThrow(RangeError);
    expect(() => rejectUnknownOptions({ model: 1, topk: 3 }, KNOWN)).toThrow(
      'Unknown option "topk" in options; did you mean "topK"? (known: model, topK, batchSize, scoreThreshold, iouThreshold)',
    );
    expect(() => rejectUnknownOptions({ colour: 'red' }, KNOWN, 'decode')).toThrow(
      'Unknown option "colour" in decode (known: model, topK, batchSize, scoreThreshold, iouThreshold)',
    );
    expect(() => rejectUnknownOptions({ model: 1, topK: 2 }, KNOWN)).not.toThrow();
  });

  it('uses the same form in every resolver (pool, pipelines)', () => {
    expect(() => resolvePoolOptions({ worker: 2 })).toThrow(/^Unknown option "worker" in options; did you mean "workers"\?/);
    expect(() => resolvePoolOptions({ worker: 2 })).toThrow(RangeError);
    expect(() => resolvePipelineOptions({ model: {}, onprogress: () => {} }, [])).toThrow(/^Unknown option "onprogress" in options; did you mean "onProgress"\?/);
  });
});

describe('value checkers: TypeError for the wrong type, RangeError for the wrong value', () => {
  it.each([
    ['positive integer, a string', () => positiveIntegerOption('topK', '3', 5), TypeError, 'Expected a positive integer for topK but received "3" of type string'],
    ['positive integer, 0', () => positiveIntegerOption('topK', 0, 5), RangeError, 'Expected a positive integer for topK but received 0 of type number'],
    ['positive integer, 1.5', () => positiveIntegerOption('batchSize', 1.5, 5), RangeError, /for batchSize/],
    ['integer in range, above', () => integerOption('threads', 2000, 1, 1, 1024), RangeError, 'Expected an integer from 1 to 1024 for threads but received 2000 of type number'],
    ['number in range, NaN', () => numberOption('threshold', Number.NaN, 0.5, 0, 1), RangeError, /a number from 0 to 1 for threshold/],
    ['number in range, a string', () => numberOption('threshold', '0.5', 0.5, 0, 1), TypeError, /a number from 0 to 1 for threshold/],
    ['enum, another string', () => enumOption('dtype', 'float64', 'float32', ['float32', 'float16']), RangeError, 'Expected "float32" or "float16" for dtype but received "float64" of type string'],
    ['enum, a number', () => enumOption('dtype', 16, 'float32', ['float32', 'float16']), TypeError, /for dtype/],
    ['boolean, a string', () => booleanOption('scores', 'yes', false), TypeError, 'Expected a boolean for scores but received "yes" of type string'],
    ['signal, an object', () => signalOption('signal', {}), TypeError, /an AbortSignal for signal/],
  ])('%s', (_name, call, Kind, message) => {
    expect(call).toThrow(Kind);
    expect(call).toThrow(message);
  });

  it('fills in the fallback for undefined and passes good values through', () => {
    expect(positiveIntegerOption('topK', undefined, 5)).toBe(5);
    expect(integerOption('maxQueue', 0, 256, 0, 10)).toBe(0);
    expect(numberOption('threshold', 1, 0.5, 0, 1)).toBe(1);
    expect(enumOption('dtype', undefined, 'float32', ['float32', 'float16'])).toBe('float32');
    const controller = new AbortController();
    expect(signalOption('signal', controller.signal)).toBe(controller.signal);
    expect(signalOption('signal', undefined)).toBeNull();
  });

  it('carries the API name and expectation, for restating in flag names', () => {
    let caught: unknown;
    try {
      positiveIntegerOption('tileSize', -1, 5);
    } catch (error) {
      caught = error;
    }
    expect(optionOf(caught)).toEqual({ option: 'tileSize', expected: 'a positive integer', actual: -1 });
    expect(optionOf(new RangeError('x'))).toBeNull();
    expect(optionOf(optionError('overlap', 'an integer', 'x'))).toMatchObject({ option: 'overlap' });
  });
});

describe('dense tiles are checked against the input size rule once per call', () => {
  const meta = (size: object) => ({ task: 'segmentation', tiling: { defaultTileSize: 64, tileMultiple: 32, minTileSize: 32, defaultOverlap: 8 }, input: { size } }) as never;
  it('refuses a tile the tiling rule allows but the input size rule does not, naming tileSize', () => {
    expect(() => resolveDenseOptions({ model: {} as never, tileSize: 96 }, meta({ rule: 'fixed', width: 64, height: 64 }))).toThrow(
      /^Expected 64 \(this model's fixed 64×64 input\) for tileSize but received 96/,
    );
    expect(() => resolveDenseOptions({ model: {} as never, tileSize: 32 }, meta({ rule: 'any', minWidth: 64, minHeight: 64 }))).toThrow(RangeError);
    expect(resolveDenseOptions({ model: {} as never }, meta({ rule: 'any', minWidth: 64, minHeight: 64, multipleOf: 32 })).tileSize).toBe(64);
  });

  it('checks both sides of a fixed input: a square tile fits only a square input of its size', () => {
    const tall = meta({ rule: 'fixed', width: 64, height: 96 });
    expect(() => resolveDenseOptions({ model: {} as never, tileSize: 64 }, tall)).toThrow(/^Expected 64 \(this model's fixed 64×96 input\) for tileSize but received 64/);
    const wide = meta({ rule: 'fixed', width: 96, height: 64 });
    expect(() => resolveDenseOptions({ model: {} as never, tileSize: 64 }, wide)).toThrow(/^Expected 96 \(this model's fixed 96×64 input\) for tileSize but received 64/);
    expect(resolveDenseOptions({ model: {} as never, tileSize: 64 }, meta({ rule: 'fixed', width: 64, height: 64 })).tileSize).toBe(64);
  });

  it('checks the tile against the larger minimum side and the multiple, each on its own', () => {
    const message = /^Expected a multiple of 32 of at least 96 \(this model's input size rule\) for tileSize but received 64/;
    // Below the minimum height only, then below the minimum width only.
    expect(() => resolveDenseOptions({ model: {} as never, tileSize: 64 }, meta({ rule: 'any', minWidth: 64, minHeight: 96, multipleOf: 32 }))).toThrow(message);
    expect(() => resolveDenseOptions({ model: {} as never, tileSize: 64 }, meta({ rule: 'any', minWidth: 96, minHeight: 64, multipleOf: 32 }))).toThrow(message);
    // Large enough, but not a multiple.
    expect(() => resolveDenseOptions({ model: {} as never, tileSize: 96 }, meta({ rule: 'any', minWidth: 64, minHeight: 64, multipleOf: 64 }))).toThrow(
      /^Expected a multiple of 64 of at least 64 \(this model's input size rule\) for tileSize but received 96/,
    );
    // No multiple in the rule: any tile from the minimum on.
    expect(resolveDenseOptions({ model: {} as never, tileSize: 96 }, meta({ rule: 'any', minWidth: 64, minHeight: 96 })).tileSize).toBe(96);
    expect(resolveDenseOptions({ model: {} as never, tileSize: 96 }, meta({ rule: 'any', minWidth: 96, minHeight: 64, multipleOf: 32 })).tileSize).toBe(96);
  });
});
