/** `lwganet info FILE [--json]`: what a model file is, and what this LibTorch build can run it on. */

import type { Command } from 'commander';
import type { ModelMetadata } from '../../model/metadata.js';
import type { CliIO } from '../io.js';
import { weightsNote } from '../weights-note.js';
import { loadModelForCli } from './load-model.js';

/** Parameter count when the exporter recorded one (field names it may use), else null. */
export function parameterCount(metadata: ModelMetadata | null): number | null {
  if (!metadata) return null;
  for (const key of ['numParameters', 'parameterCount', 'parameters']) {
    const v = metadata[key];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  }
  return null;
}

function describeResize(m: ModelMetadata): string {
  const r = m.input.resize;
  if (r.mode === 'short-side-center-crop') return `short side ${r.shortSide} → center crop ${r.crop} (${r.interpolation})`;
  if (r.mode === 'resize') return `resize to ${r.width}×${r.height} (${r.interpolation})`;
  return 'none';
}

function describeSize(m: ModelMetadata): string {
  const s = m.input.size;
  if (s.rule === 'fixed') return `${m.input.channels}×${s.height}×${s.width}`;
  return `${m.input.channels}×H×W (H, W ≥ ${s.minHeight}×${s.minWidth}${s.multipleOf ? `, multiples of ${s.multipleOf}` : ''})`;
}

function metadataLines(m: ModelMetadata): Array<[string, string]> {
  const lines: Array<[string, string]> = [
    ['model', `${m.model} (variant ${m.variant})`],
    ['task', m.task],
    ['labels', m.labels ? `${m.labels.length} (${m.labelSet ?? 'custom'})` : 'none (class indices)'],
    ['input', `${describeSize(m)} ${m.input.dtype} ${m.input.colorOrder}; ${describeResize(m)}; ÷${m.input.valueScale}, mean [${m.input.mean.join(', ')}], std [${m.input.std.join(', ')}]`],
    ['outputs', m.outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join('; ') || '-'],
    ['weights', m.weights.source === 'checkpoint' ? `checkpoint ${m.weights.file ?? ''}${m.weights.sha256 ? ` sha256 ${m.weights.sha256}` : ''}` : `random-init (seed ${m.weights.seed})`],
  ];
  const count = parameterCount(m);
  if (count !== null) lines.push(['parameters', `${(count / 1e6).toFixed(2)} M (${count})`]);
  if (m.export) lines.push(['exported', `torch ${m.export.torchVersion}, lwganet ${m.export.lwganetVersion}, ${m.export.method}${m.export.frozen ? ', frozen' : ''}, ${m.export.dtype}, ${m.export.graph ?? 'official'} graph, ${m.export.createdAt}`]);
  return lines;
}

async function run(file: string, flags: { json?: boolean; device?: string }, io: CliIO): Promise<void> {
  const model = await loadModelForCli(file, flags);
  try {
    const { devices } = await import('../../native/device.js');
    const runtime = devices();
    const metadata = model.metadata;
    if (flags.json) {
      io.out(`${JSON.stringify({ file, device: model.device, metadata, parameters: parameterCount(metadata), libtorch: runtime }, null, 2)}\n`);
      return;
    }
    const lines: Array<[string, string]> = [['file', file]];
    lines.push(...(metadata ? metadataLines(metadata) : [['metadata', 'none (not exported by lwganet; no preprocessing information)'] as [string, string]]));
    lines.push(
      ['device', model.device],
      ['libtorch', `${runtime.libtorchVersion} (addon built with ${runtime.builtWithLibtorch})`],
      ['cuda', runtime.cudaCompiled ? `${runtime.cudaDeviceCount} device(s)${runtime.cudaUnavailableReason ? ` — ${runtime.cudaUnavailableReason}` : ''}` : `none — ${runtime.cudaUnavailableReason ?? 'this LibTorch has no CUDA'}`],
      ['threads', `intra-op ${runtime.defaultThreads}, inference threads ${runtime.inferenceThreads}`],
    );
    const width = Math.max(...lines.map(([k]) => k.length));
    io.out(lines.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join(''));
    const note = weightsNote(metadata);
    if (note) io.err(`${note}\n`);
  } finally {
    model.dispose();
  }
}

export function registerInfo(program: Command, io: CliIO): void {
  program
    .command('info')
    .description('show a model file\'s metadata, parameter count, and the LibTorch build and devices')
    .argument('<file>', 'TorchScript model file')
    .option('-d, --device <device>', 'cpu, cuda or cuda:N')
    .option('--json', 'print JSON on stdout')
    .action((file: string, flags: { json?: boolean; device?: string }) => run(file, flags, io));
}
