// Runs every test suite of the project (Python package: pytest; Node package: vitest) and ends
// with one combined line "tests: N passed, N failed, N skipped". Exit code 1 if anything failed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const results = path.join(root, 'out', 'test-results');
fs.mkdirSync(results, { recursive: true });
const python = path.join(root, '.venv', 'bin', 'python');
if (!fs.existsSync(python)) {
  console.error('No project venv (.venv): run `bash scripts/setup.sh` first.');
  process.exit(1);
}

function run(command, args, cwd) {
  console.log(`\n$ ${[command, ...args].join(' ')}`);
  return spawnSync(command, args, { cwd, stdio: 'inherit' }).status ?? 1;
}

const only = process.argv[2]; // "python" or "node" to run one suite
const totals = { passed: 0, failed: 0, skipped: 0 };
let status = 0;

if (only !== 'node') {
  const junit = path.join(results, 'pytest.xml');
  fs.rmSync(junit, { force: true });
  status |= run(python, ['-m', 'pytest', '-q', `--junitxml=${junit}`], path.join(root, 'python')) === 0 ? 0 : 1;
  if (fs.existsSync(junit)) {
    const suite = fs.readFileSync(junit, 'utf8').match(/<testsuite [^>]*>/)?.[0] ?? '';
    const attr = (name) => Number(suite.match(new RegExp(`${name}="(\\d+)"`))?.[1] ?? 0);
    totals.failed += attr('failures') + attr('errors');
    totals.skipped += attr('skipped');
    totals.passed += attr('tests') - attr('failures') - attr('errors') - attr('skipped');
  } else {
    totals.failed += 1;
  }
}

if (only !== 'python') {
  const json = path.join(results, 'vitest.json');
  fs.rmSync(json, { force: true });
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const vitestStatus = run(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${json}`], root);
  status |= vitestStatus === 0 ? 0 : 1;
  if (fs.existsSync(json)) {
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests + (report.numFailedTestSuites ?? 0);
    totals.skipped += report.numPendingTests + (report.numTodoTests ?? 0);
    // Unhandled errors and type errors fail the run without failing a test: count them too.
    if (vitestStatus !== 0 && report.numFailedTests === 0 && !report.numFailedTestSuites) totals.failed += 1;
  } else {
    totals.failed += 1;
  }
}

console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(status || (totals.failed > 0 ? 1 : 0));
