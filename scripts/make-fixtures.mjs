#!/usr/bin/env node
// Generates test/fixtures/generated/ with test/fixtures/make_models.py (run by `npm run fixtures`,
// before every `npm test`). Reruns are near-instant: a stamp records the sha256 of the generator
// and of the sources it imports, and the torch version; generation is skipped while both match
// and every listed file exists.
// Usage: node scripts/make-fixtures.mjs [--force]

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const generator = join(root, 'test', 'fixtures', 'make_models.py');
const outDir = join(root, 'test', 'fixtures', 'generated');
const stampPath = join(outDir, '.stamp.json');
const python = join(root, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
const force = process.argv.includes('--force');

function fail(message) {
  console.error(`make-fixtures: ${message}`);
  process.exit(1);
}

if (!existsSync(python)) {
  fail(
    `no project virtualenv at ${python}.\n` +
      '  The fixtures are exported by the same torch that the addon links, so they need the project venv.\n' +
      '  Run .ci/run, or create it by hand:\n' +
      '    python3 -m venv .venv && .venv/bin/pip install -r requirements-ci.txt',
  );
}

// importlib.metadata avoids `import torch`, which alone costs seconds; this keeps the no-op path fast.
const probe = spawnSync(python, ['-c', "import importlib.metadata as m; print(m.version('torch'))"], {
  encoding: 'utf8',
});
if (probe.status !== 0) {
  fail(`torch is not installed in ${python}: install requirements-ci.txt into the venv.\n${probe.stderr}`);
}
const torchVersion = probe.stdout.trim();
// The generator, its helper modules next to it, and the Python sources whose results it stores
// (the NMS and RoIAlign fixtures hold the answers of the references in python/lwganet/detection; the metadata
// comes from python/lwganet/metadata.py).
const fixtureDir = dirname(generator);
const detectionDir = join(root, 'python', 'lwganet', 'detection');
const generatorInputs = [
  generator,
  ...readdirSync(fixtureDir).filter((f) => f.endsWith('.py') && f !== 'make_models.py').sort().map((f) => join(fixtureDir, f)),
  ...['native_ops.py', 'nms.py', 'coders.py', 'rotated_roi_align.py', 'rotated_roi_align_reference.py'].map((f) => join(detectionDir, f)),
  // writes the compiled (.pt2) fixtures, some with the rewrites; the depthwise and attention ops' references
  ...[
    'pt2.py', 'small_depthwise.py', 'small_gemms.py', 'split_downsampler.py', 'module_swap.py', 'depthwise_op.py',
    'small_head_attention.py', 'attention_op.py', 'op_library.py',
  ].map((f) =>
    join(root, 'python', 'lwganet', 'formats', f),
  ),
  // The fixtures' metadata is built by the package's metadata module, the DOTA names by its data file;
  // the compiled attention fixture holds LWGANet's attention layer.
  ...['metadata.py', join('data', 'dota_label_sets.json'), join('layers', 'attention.py')].map((f) =>
    join(root, 'python', 'lwganet', f),
  ),
].filter((file) => existsSync(file)); // a missing one is the generator's error to report
const inputsHash = createHash('sha256');
for (const file of generatorInputs) inputsHash.update(`${file.slice(root.length)}\0`).update(readFileSync(file)).update('\0');
const scriptSha256 = inputsHash.digest('hex');

function upToDate() {
  if (force || !existsSync(stampPath)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    return (
      stamp.scriptSha256 === scriptSha256 &&
      stamp.torchVersion === torchVersion &&
      Array.isArray(stamp.files) &&
      stamp.files.length > 0 &&
      stamp.files.every((f) => existsSync(join(outDir, f)))
    );
  } catch {
    return false; // unreadable stamp: regenerate
  }
}

if (upToDate()) {
  console.log(`make-fixtures: up to date (torch ${torchVersion}) in ${outDir}`);
  process.exit(0);
}

console.log(`make-fixtures: generating with torch ${torchVersion} ...`);
const run = spawnSync(python, [generator, '--out', outDir], {
  stdio: 'inherit',
  // A fixed hash seed keeps TorchScript's emitted code (attribute order) stable between runs.
  env: { ...process.env, PYTHONHASHSEED: '0' },
});
if (run.status !== 0) {
  fail(`${generator} failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`})`);
}

// The generator's manifest lists every output; the stamp is written last so it only exists
// after a complete, verified run.
const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
const stamp = { scriptSha256, torchVersion, files: manifest.files.map((f) => f.file) };
const tmp = `${stampPath}.tmp-${process.pid}`;
writeFileSync(tmp, JSON.stringify(stamp, null, 2) + '\n');
renameSync(tmp, stampPath);
