// The model files of bench/compare.mjs, exported on the fly with the project venv's exporter:
// a frozen TorchScript file (lwganet-node, the C++ ceiling, Python), an AOTInductor package
// (.pt2, lwganet-node's compiled path) and an ONNX file of the same weights (onnxruntime-node),
// seeded random initialisation. File names carry a hash of the model
// code and the Python pins, so an edit of the model or exporter re-exports instead of timing a stale graph.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Every .py file under python/lwganet (the model, its heads and the exporters), in path order. */
function codeFiles(root, dir = 'python/lwganet') {
  const files = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() && entry.name !== '__pycache__') files.push(...codeFiles(root, path));
    else if (entry.isFile() && entry.name.endsWith('.py')) files.push(path);
  }
  return files.sort();
}

function codeHash(root) {
  const hash = createHash('sha256');
  for (const path of codeFiles(root)) hash.update(`${path}\0`).update(readFileSync(join(root, path)));
  hash.update(readFileSync(join(root, 'requirements-ci.txt')));
  return hash.digest('hex').slice(0, 10);
}

/** The exporter's arguments that say what `c` is: the classifier (NWPU-RESISC45 labels) or the dense backbone. */
export function modelArgs(c) {
  return c.features ? ['--features'] : ['--labels', 'nwpu-resisc45'];
}

/** Paths of the two files of `c` (not necessarily there yet); `graph` is the exporter's --graph. */
export function exportPaths(root, dir, c, seed, graph = 'fast') {
  const stem = `${c.model}${c.features ? '-features' : ''}${graph === 'fast' ? '' : `-${graph}`}-seed${seed}-${codeHash(root)}`;
  return { torchscript: join(dir, `${stem}.pt`), onnx: join(dir, `${stem}-${c.size}.onnx`), pt2: join(dir, `${stem}-${c.size}-b${c.batch}.pt2`) };
}

/** Exports whatever of `c`'s files is missing; `log` gets one line per export. */
export function ensureExports(root, dir, c, seed, log, graph = 'fast', withPt2 = false) {
  const python = join(root, '.venv', 'bin', 'python');
  if (!existsSync(python)) throw new Error(`no project venv at ${python} to export the models: run \`bash scripts/setup.sh\``);
  mkdirSync(dir, { recursive: true });
  const paths = exportPaths(root, dir, c, seed, graph);
  const what = [...modelArgs(c), '--graph', graph];
  const jobs = [
    [paths.torchscript, ['--freeze']],
    [paths.onnx, ['--format', 'onnx', '--size', `${c.size}`]],
  ];
  // The compiled package: one static entry of exactly the case's shape (AOTInductor, ~1 min per shape).
  if (withPt2) jobs.push([paths.pt2, ['--format', 'pt2', '--size', `${c.size}`, '--batch', `${c.batch}`]]);
  for (const [file, extra] of jobs) {
    if (existsSync(file)) continue;
    const partial = file.endsWith('.pt2') ? file.replace(/\.pt2$/, '.partial.pt2') : `${file}.partial`; // the pt2 exporter wants the suffix
    const args = ['-m', 'lwganet', 'export', c.model, ...what, '--seed', `${seed}`, ...extra, '--out', partial];
    log(`exporting ${c.model}${c.features ? ' (features)' : ''} → ${file}`);
    const run = spawnSync(python, args, { cwd: join(root, 'python'), encoding: 'utf8' });
    if (run.status !== 0) {
      rmSync(partial, { force: true });
      throw new Error(`python ${args.join(' ')} failed (${run.status ?? run.signal}):\n${(run.stderr || '').trim()}`);
    }
    renameSync(partial, file);
  }
  return paths;
}
