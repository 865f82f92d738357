// One metadata schema across Python and Node: python/lwganet/metadata.schema.json is generated
// from the Python dataclasses (python/tests/test_metadata_schema.py fails when it is stale).
// Here: an archive exported by the Python package for every task loads in Node with metadata
// that follows the schema, and parseMetadata() accepts exactly what the schema accepts on every
// single-field change of those documents (a key removed, a value of the wrong type, a value
// outside its enum or range, null), so lib/model/metadata.ts cannot drift from the dataclasses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../lib/model/model.js';
import { parseMetadata } from '../lib/model/metadata.js';
import { LwganetError } from '../lib/errors.js';
import { tempDir } from './helpers/image-fixtures.js';
import { ROOT, runPython } from './helpers/image-python.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = Record<string, any>;

const SCHEMA: Schema = JSON.parse(readFileSync(join(ROOT, 'python', 'lwganet', 'metadata.schema.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(SCHEMA);

// One archive per task (the a2net one traced, so multipleOf is exercised), seeded default weights.
const EXPORTS: Array<[string, string, Record<string, unknown>]> = [
  ['classification', 'lwganet_l0', {}],
  ['features', 'lwganet_l0', { features_only: true, method: 'trace' }],
  ['segmentation', 'unetformer_lwganet_l0', {}],
  ['change-detection', 'a2net_lwganet_l0', { method: 'trace' }],
  ['rotated-detection', 'orcnn_lwganet_l0', {}],
];

const EXPORT_SCRIPT = `
import json, sys, lwganet
jobs = json.loads(sys.argv[1])
for job in jobs:
    lwganet.export(job["model"], job["out"], seed=1, **job["kwargs"])
`;

let dir: string;
let cleanup: () => void;
const archives: Record<string, string> = {};

beforeAll(() => {
  ({ dir, cleanup } = tempDir('lwganet-schema-'));
  const jobs = EXPORTS.map(([task, model, kwargs]) => ({ model, kwargs, out: (archives[task] = join(dir, `${task}.pt`)) }));
  runPython(['-c', EXPORT_SCRIPT, JSON.stringify(jobs)], { timeoutMs: 600_000 });
}, 600_000);

afterAll(() => cleanup?.());

function accepts(doc: Json): boolean {
  try {
    parseMetadata(JSON.stringify(doc));
    return true;
  } catch (error) {
    if (!(error instanceof LwganetError) || error.code !== 'METADATA_INVALID') throw error;
    return false;
  }
}

function resolve(schema: Schema): Schema {
  return schema.$ref ? resolve(SCHEMA.$defs[schema.$ref.replace('#/$defs/', '')]) : schema;
}

/** The branch of `schema` that describes `value` (anyOf: the null branch, or the one whose discriminator matches). */
function branch(schema: Schema, value: Json): Schema {
  const s = resolve(schema);
  if (!s.anyOf) return s;
  const options = s.anyOf.map(resolve);
  if (value === null) return options.find((o: Schema) => o.type === 'null') ?? options[0];
  const fitting = options.filter((o: Schema) => o.type !== 'null');
  return fitting.find((o: Schema) => Object.entries(o.properties ?? {}).every(([k, p]: [string, any]) => !('const' in p) || (value as any)[k] === p.const)) ?? fitting[0];
}

function wrongValues(schema: Schema, value: Json): Json[] {
  const out: Json[] = [null, typeof value === 'string' ? 12345 : 'x', Array.isArray(value) ? { a: 1 } : [1]];
  if (typeof value === 'number') out.push(typeof value === 'number' && Number.isInteger(value) ? 2.5 : true);
  if (schema.enum || 'const' in schema) out.push('not-a-value');
  if (typeof schema.minimum === 'number') out.push(schema.minimum - 1);
  if (typeof schema.exclusiveMinimum === 'number') out.push(schema.exclusiveMinimum);
  if (typeof schema.maximum === 'number') out.push(schema.maximum + 0.5);
  return out;
}

/** Every single-field change of `doc`: [path, changed document]. */
function* mutations(doc: Json, schema: Schema, path: Array<string | number> = []): Generator<[string, Json]> {
  const at = (p: Array<string | number>, replace: (parent: any, key: string | number) => void): Json => {
    const copy = structuredClone(doc);
    let parent: any = copy;
    for (const key of p.slice(0, -1)) parent = parent[key];
    replace(parent, p[p.length - 1]);
    return copy;
  };
  const walk = function* (value: Json, s: Schema, p: Array<string | number>): Generator<[string, Json]> {
    const here = branch(s, value);
    if (p.length > 0) {
      for (const wrong of wrongValues(here, value)) yield [`${p.join('.')} = ${JSON.stringify(wrong)}`, at(p, (o, k) => (o[k] = wrong))];
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const key of Object.keys(here.properties ?? {})) {
        if (!(key in value)) continue;
        yield [`${[...p, key].join('.')} removed`, at([...p, key], (o, k) => delete o[k])];
        yield* walk(value[key], here.properties[key], [...p, key]);
      }
    } else if (Array.isArray(value) && value.length > 0 && here.items) {
      yield* walk(value[0], here.items, [...p, 0]);
    }
  };
  yield* walk(doc, schema, path);
}

describe('metadata.schema.json and lib/model/metadata.ts', () => {
  it.each(EXPORTS.map(([task]) => task))('an exported %s archive loads in Node with metadata that follows the schema', async (task) => {
    const model = await loadModel(archives[task]);
    try {
      expect(model.metadata?.task).toBe(task);
      expect(validate(model.metadata), JSON.stringify(validate.errors)).toBe(true);
      if (task === 'change-detection') expect(model.metadata?.input.size).toMatchObject({ rule: 'any', multipleOf: 32 });
    } finally {
      model.dispose();
    }
  });

  it('parseMetadata accepts exactly what the schema accepts, field for field', async () => {
    const disagreements: string[] = [];
    let count = 0;
    for (const [task] of EXPORTS) {
      const model = await loadModel(archives[task]);
      const doc = JSON.parse(JSON.stringify(model.metadata)) as Json;
      model.dispose();
      for (const [what, changed] of mutations(doc, SCHEMA)) {
        count += 1;
        const schemaSays = validate(changed) as boolean;
        if (accepts(changed) !== schemaSays) disagreements.push(`${task}: ${what}: schema ${schemaSays ? 'accepts' : 'rejects'}, parseMetadata does not`);
      }
    }
    expect(count).toBeGreaterThan(500);
    expect(disagreements).toEqual([]);
  });
});
