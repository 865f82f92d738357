#!/usr/bin/env node
// Mutation testing of the modules where a silent error reaches users, one group at a time:
//   npm run test:mutation                 # every group (TypeScript with StrykerJS, then Python)
//   npm run test:mutation -- geo change   # only these groups ("python" is the backbone)
//   npm run test:mutation -- --table      # no run: the table of the latest reports
// Each StrykerJS group mutates its modules and runs only its test files (vitest.mutation.config.ts); results are kept per
// group (reports/mutation/<group>/: incremental file, JSON report), so a rerun only retests
// mutants whose code or tests changed. test/detection-export.test.ts is left out: it exports and
// runs the full L2 detector in Python (minutes), too slow to repeat per mutant. The scores go to reports/mutation/scores.json and a
// table to reports/mutation/scores.md. Takes tens of minutes on 2 cores: run it outside CI.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'reports', 'mutation');

export const MUTATION_GROUPS = {
  tiling: {
    // dense-options: defaults and the tile grid; segmentation: the argmax/softmax of the blended logits.
    mutate: ['lib/image/tiling.ts', 'lib/tasks/dense-engine.ts', 'lib/tasks/dense-options.ts', 'lib/tasks/segmentation.ts'],
    // options.test.ts: the tile checked against the model's input size rule (dense-options).
    testFiles: ['test/tiling.test.ts', 'test/blending.test.ts', 'test/segmentation.test.ts', 'test/dense-engine.test.ts', 'test/options.test.ts'],
  },
  geo: {
    // Rasters through GDAL: reading (bands, value ranges, nodata, windows, georeferencing), the
    // band source tiling and detection read from, nodata in task outputs, and the COG writer.
    // Test files run in this order (quick ones first). test/gdal-layouts.test.ts is left out:
    // it segments every layout and reads the outputs back with rasterio, about a minute for
    // each mutant it covers (over two hours for the group on 2 cores).
    mutate: ['lib/image/gdal-raster.ts', 'lib/image/decode-gdal.ts', 'lib/image/band-source.ts', 'lib/tasks/nodata.ts', 'lib/output/mask-geotiff.ts'],
    testFiles: ['test/gdal-raster.test.ts', 'test/image/geotiff.test.ts', 'test/mask-output.test.ts', 'test/georeferencing.test.ts', 'test/detection-nodata.test.ts'],
  },
  vector: {
    // Vector outputs through OGR (GeoJSON, GeoPackage, FlatGeobuf: detections and polygonized
    // masks), CRS handling and areas in m².
    mutate: [
      'lib/output/vector-file.ts', 'lib/output/detections-vector.ts', 'lib/output/mask-vector.ts', 'lib/output/detections-geojson.ts',
      'lib/geo/crs.ts', 'lib/geo/area.ts',
    ],
    // In-process read-back first; fiona/pyproj (vector-output) and GDAL's mapping (georeferencing) after.
    testFiles: ['test/vector-rules.test.ts', 'test/detection-formats.test.ts', 'test/vector-output.test.ts', 'test/georeferencing.test.ts'],
  },
  dota: {
    // DOTA label files and Task1 submission files, and the clipping of boxes to the image.
    mutate: ['lib/output/detections-dota.ts', 'lib/output/dota-task1.ts', 'lib/detection/clip-quad.ts'],
    testFiles: ['test/detection-formats.test.ts', 'test/dota-format.test.ts'],
  },
  detection: {
    // Decoding (detector output, patch input, options), merging (NMS, le90 geometry) and the JSON
    // and picture outputs. The DOTA and OGR writers are the vector group's.
    mutate: [
      'lib/tasks/detector-output.ts', 'lib/tasks/detection-candidates.ts', 'lib/tasks/detection.ts', 'lib/tasks/detection-options.ts',
      'lib/tasks/patch-input.ts', 'lib/detection/rotated-box.ts', 'lib/detection/nms.ts',
      'lib/output/detections-json.ts', 'lib/output/detections-file.ts', 'lib/output/detections-draw.ts',
    ],
    testFiles: ['test/detection.test.ts', 'test/detection-formats.test.ts', 'test/nms.test.ts', 'test/detection-decoding.test.ts'],
  },
  change: {
    mutate: ['lib/tasks/change-detection.ts'],
    testFiles: ['test/change-detection.test.ts'],
  },
  preprocess: {
    mutate: ['lib/image/normalize.ts', 'lib/image/preprocess.ts', 'lib/image/resize-plan.ts'],
    testFiles: ['test/image/preprocess.test.ts', 'test/image/resize-rules.test.ts'],
  },
};

function python() {
  return process.env.LWGANET_TEST_PYTHON || join(ROOT, '.venv', 'bin', 'python');
}

function runStryker(name, group) {
  const dir = join(OUT, name);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'stryker.config.json');
  const jsonReport = join(dir, 'mutation.json');
  writeFileSync(config, JSON.stringify({
    mutate: group.mutate,
    incrementalFile: join(dir, 'incremental.json'),
    jsonReporter: { fileName: jsonReport },
    tempDirName: `.stryker-tmp/${name}`,
  }, null, 2));
  const base = join(ROOT, 'stryker.config.mjs');
  // The group file overrides the base: Stryker reads one config file, so merge them here.
  const merged = join(dir, 'stryker.merged.mjs');
  writeFileSync(merged, `import base from ${JSON.stringify(base)};\nimport group from ${JSON.stringify(config)} with { type: 'json' };\nexport default { ...base, ...group };\n`);
  const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'stryker'), ['run', merged], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, LWGANET_TEST_PYTHON: python(), LWGANET_MUTATION_TESTS: group.testFiles.join(',') },
  });
  if (run.status !== 0 || !existsSync(jsonReport)) return { group: name, error: `stryker exited with ${run.status}` };
  return { group: name, ...scoreOf(JSON.parse(readFileSync(jsonReport, 'utf8'))) };
}

/** Mutation score as Stryker defines it: detected / (detected + undetected), per file and in total. */
function scoreOf(report) {
  const files = {};
  const total = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 };
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const c = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 };
    for (const m of mutants) {
      const key = { Killed: 'killed', Timeout: 'timeout', Survived: 'survived', NoCoverage: 'noCoverage', Ignored: 'ignored' }[m.status] ?? 'errors';
      c[key]++;
      total[key]++;
    }
    files[file] = { ...c, score: score(c) };
  }
  return { files, ...total, score: score(total) };
}

function score(c) {
  const detected = c.killed + c.timeout;
  const valid = detected + c.survived + c.noCoverage;
  return valid === 0 ? null : Math.round((10000 * detected) / valid) / 100;
}

function runPythonMutation() {
  const report = join(OUT, 'python', 'mutation.json');
  mkdirSync(join(OUT, 'python'), { recursive: true });
  // --pytest: golden survivors then face the model tests (odd and non-square sizes, formulations,
  // the state_dict manifests), which catch what the square official goldens cannot.
  const run = spawnSync(python(), [join(ROOT, 'scripts', 'mutate_backbone.py'), '--json', report, '--pytest'], { cwd: ROOT, stdio: 'inherit' });
  if (run.status !== 0 || !existsSync(report)) return { group: 'python', error: `mutate_backbone.py exited with ${run.status}` };
  return { group: 'python', ...JSON.parse(readFileSync(report, 'utf8')) };
}

// --table: no run, only the table of the results on disk (each group's latest report).
const tableOnly = process.argv.includes('--table');
const wanted = tableOnly ? [] : process.argv.slice(2);
const names = wanted.length > 0 ? wanted : [...Object.keys(MUTATION_GROUPS), 'python'];
for (const name of names) if (name !== 'python' && !(name in MUTATION_GROUPS)) throw new Error(`unknown group ${name}; groups: ${Object.keys(MUTATION_GROUPS).join(', ')}, python`);
mkdirSync(OUT, { recursive: true });
if (!tableOnly && names.some((n) => n !== 'python')) {
  // The CLI tests among the groups' test files run dist/.
  const build = spawnSync('npm', ['run', 'build:ts'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const scoresFile = join(OUT, 'scores.json');
const readScores = () => (existsSync(scoresFile) ? JSON.parse(readFileSync(scoresFile, 'utf8')) : {});
let scores = readScores();
if (tableOnly) {
  for (const name of Object.keys(MUTATION_GROUPS)) {
    const report = join(OUT, name, 'mutation.json');
    if (existsSync(report)) scores[name] = { group: name, ...scoreOf(JSON.parse(readFileSync(report, 'utf8'))) };
  }
  const python = join(OUT, 'python', 'mutation.json');
  if (existsSync(python)) scores.python = { group: 'python', ...JSON.parse(readFileSync(python, 'utf8')) };
  writeFileSync(scoresFile, `${JSON.stringify(scores, null, 2)}\n`);
}
for (const name of tableOnly ? [] : names) {
  const result = { ...(name === 'python' ? runPythonMutation() : runStryker(name, MUTATION_GROUPS[name])), date: new Date().toISOString() };
  scores = { ...readScores(), [name]: result }; // re-read: another group may have finished meanwhile
  writeFileSync(scoresFile, `${JSON.stringify(scores, null, 2)}\n`);
}
const rows = ['| group | file | killed | timeout | survived | no coverage | score % |', '|---|---|---|---|---|---|---|'];
for (const [name, s] of Object.entries(scores)) {
  if (s.error) {
    rows.push(`| ${name} | (failed: ${s.error}) | | | | | |`);
    continue;
  }
  for (const [file, c] of Object.entries(s.files ?? {})) rows.push(`| ${name} | ${file} | ${c.killed} | ${c.timeout} | ${c.survived} | ${c.noCoverage} | ${c.score ?? '-'} |`);
  rows.push(`| **${name}** | all | ${s.killed} | ${s.timeout} | ${s.survived} | ${s.noCoverage} | **${s.score ?? '-'}** |`);
}
writeFileSync(join(OUT, 'scores.md'), `${rows.join('\n')}\n`);
console.log(rows.join('\n'));
