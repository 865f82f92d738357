// Numbers and tables of bench/compare.mjs: per-runtime statistics, output agreement, ratios,
// and the markdown report. Ratios are the headline; absolute times are secondary.

export const RUNTIMES = {
  lwganet: { label: 'lwganet-node run()', file: 'torchscript' },
  // The same Model.run() on the AOTInductor package of the case's exact shape (--format pt2).
  pt2: { label: 'lwganet-node run() on .pt2', file: 'pt2' },
  ceiling: { label: 'C++ LibTorch (ceiling)', file: 'torchscript' },
  // The ceiling built against Debian's LibTorch, on an export made with Debian's torch (debian.mjs);
  // optional: in the default runtimes, tables and chart only where that LibTorch is installed.
  'debian-ceiling': { label: 'C++ Debian LibTorch (ceiling)', file: 'debianTorchscript', optional: true },
  python: { label: 'Python TorchScript', file: 'torchscript' },
  ort: { label: 'onnxruntime-node', file: 'onnx' },
};
export const REFERENCE = 'lwganet';
export const GOAL_VS_ORT = 1.3;

/** Median and p10–p90 (nearest rank) of samples in µs, reported in ms. */
export function summarize(samplesUs) {
  const s = Float64Array.from(samplesUs).sort();
  const at = (p) => s[Math.min(s.length - 1, Math.round((p / 100) * (s.length - 1)))] / 1e3;
  return { n: s.length, medianMs: at(50), p10Ms: at(10), p90Ms: at(90), meanMs: s.reduce((a, b) => a + b, 0) / s.length / 1e3 };
}

// The index max-pools route each value to its window's argmax, so a near-tie may go another way
// under another rounding: a few isolated elements then differ by up to ~1e-2 while all
// others agree. Up to this share of elements beyond the tolerance is read as that, not as a bug.
export const NEAR_TIE_SHARE = 1e-3;

/** Largest |a − b| over two runtimes' outputs and the share of elements beyond `tolerance`. */
export function outputDiff(ref, other, tolerance) {
  if (JSON.stringify(ref.shapes) !== JSON.stringify(other.shapes)) {
    return { maxAbsDiff: null, share: null, note: `output shapes differ: ${JSON.stringify(other.shapes)} vs ${JSON.stringify(ref.shapes)}` };
  }
  let max = 0;
  let beyond = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const d = Math.abs(ref.data[i] - other.data[i]);
    if (!(d <= tolerance)) beyond++; // NaN counts as beyond
    if (d > max || Number.isNaN(d)) max = d;
  }
  if (Number.isNaN(max)) return { maxAbsDiff: null, share: null, note: 'NaN in the outputs' };
  return { maxAbsDiff: max, share: beyond / ref.data.length, note: null };
}

/** "yes", "yes (near-ties …)" or "no: …" over the runtimes' outputDiff results. */
export function agreement(diffs) {
  const entries = Object.entries(diffs);
  if (entries.length === 0) return 'n/a';
  const bad = entries.filter(([, d]) => d.share === null || d.share > NEAR_TIE_SHARE).map(([n]) => n);
  if (bad.length) return `**no: ${bad.join(', ')}**`;
  const ties = entries.filter(([, d]) => d.share > 0);
  if (ties.length === 0) return 'yes';
  return `yes, near-ties (${ties.map(([n, d]) => `${n}: ${(d.share * 100).toPrecision(2)}% of elements`).join(', ')})`;
}

export function refScale(ref) {
  let max = 0;
  for (let i = 0; i < ref.data.length; i++) max = Math.max(max, Math.abs(ref.data[i]));
  return max;
}

/** lwganet-node images/s ÷ each other runtime's images/s (null where one side failed). */
export function ratios(runtimes) {
  const ref = runtimes[REFERENCE];
  const ratio = (name) => (ref?.imagesPerSecond && runtimes[name]?.imagesPerSecond ? ref.imagesPerSecond / runtimes[name].imagesPerSecond : null);
  const pt2 = runtimes.pt2?.imagesPerSecond && runtimes.ort?.imagesPerSecond ? runtimes.pt2.imagesPerSecond / runtimes.ort.imagesPerSecond : null;
  return { vsOnnxruntime: ratio('ort'), pt2VsOnnxruntime: pt2, vsCeiling: ratio('ceiling'), vsDebianCeiling: ratio('debian-ceiling'), vsPython: ratio('python') };
}

const f = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));
const times = (x) => (x === null || x === undefined ? '—' : `${x.toFixed(2)}×`);
const sci = (x) => (x === null || x === undefined ? '—' : x === 0 ? '0' : x.toExponential(1));

export function caseTitle(c) {
  return `${c.model.replace('lwganet_', '').toUpperCase()} ${c.features ? 'backbone ' : ''}${c.size}² b${c.batch}${c.busy ? ', one CPU-bound process beside it' : ''}`;
}

/** The runtimes a report shows: all of RUNTIMES but the optional ones the run left out. */
export function shownRuntimes(run) {
  return Object.keys(RUNTIMES).filter((n) => !RUNTIMES[n].optional || run.runtimes.includes(n));
}

/** The markdown report: headline ratios, one detail table per case, the conditions. */
export function markdown(run) {
  const debian = shownRuntimes(run).includes('debian-ceiling');
  const lines = [
    `# Runtime comparison (${run.date})`, '',
    `lwganet-node images/s divided by each runtime's (higher is better for lwganet-node; goal ≥ ${GOAL_VS_ORT}× onnxruntime-node). ` +
      `Same weights in every runtime (seed ${run.seed}), ${run.threads} intra-op threads each, ${run.rounds} interleaved rounds, warm-up excluded.`,
  ];
  if (run.quick) lines.push('', '**--quick run: a smoke test, the numbers are noise.**');
  lines.push('', `| case | lwganet-node img/s | ÷ onnxruntime-node | .pt2 img/s | .pt2 ÷ onnxruntime-node | ÷ C++ ceiling |${debian ? ' ÷ C++ Debian LibTorch |' : ''} ÷ Python TorchScript | outputs agree |`,
    `|---|---:|---:|---:|---:|---:|${debian ? '---:|' : ''}---:|---|`);
  for (const c of run.cases) {
    const r = c.ratios;
    lines.push(`| ${caseTitle(c)} | ${f(c.runtimes[REFERENCE]?.imagesPerSecond, 1)} | ${times(r.vsOnnxruntime)} | ${f(c.runtimes.pt2?.imagesPerSecond, 1)} | ${times(r.pt2VsOnnxruntime)} | ${times(r.vsCeiling)} |` +
      `${debian ? ` ${times(r.vsDebianCeiling)} |` : ''} ${times(r.vsPython)} | ${c.agreement} |`);
  }
  for (const c of run.cases) {
    lines.push('', `## ${caseTitle(c)} (${c.iterations} iteration${c.iterations === 1 ? '' : 's'} × ${run.rounds} rounds, ${c.warmup} warm-up calls)`, '',
      '| runtime | median ms (p10–p90) | images/s | first call ms | load ms | peak RSS MB | event-loop lag p50 / p99 ms | max abs diff vs lwganet-node |',
      '|---|---|---:|---:|---:|---:|---|---:|');
    for (const [name, r] of Object.entries(c.runtimes)) {
      if (r.error) {
        lines.push(`| ${RUNTIMES[name].label} | failed: ${r.error.split('\n')[0].slice(0, 160)} | | | | | | |`);
        continue;
      }
      const lag = r.eventLoop ? `${f(r.eventLoop.p50_ms, 2)} / ${f(r.eventLoop.p99_ms, 2)}` : 'n/a';
      const diff = name === REFERENCE ? `(reference, max abs ${sci(c.referenceMaxAbs)})` : r.outputs.note ?? `${sci(r.outputs.maxAbsDiff)}${r.outputs.share ? ` (${(r.outputs.share * 100).toPrecision(2)}% > tol)` : ''}`;
      lines.push(`| ${RUNTIMES[name].label} | ${f(r.stats.medianMs, 2)} (${f(r.stats.p10Ms, 2)}–${f(r.stats.p90Ms, 2)}) | ` +
        `${f(r.imagesPerSecond, 1)} | ${f(r.firstCallMs, 1)} | ${f(r.loadMs, 0)} | ${f(r.peakRssMb, 0)} | ${lag} | ${diff} |`);
    }
  }
  const e = run.environment;
  lines.push('', `Node ${e.node}, ${e.cpu} × ${e.cpus}, LibTorch ${e.libtorch ?? '?'}${debian ? `, Debian LibTorch ${e.debianLibtorch ?? '?'}` : ''}, onnxruntime-node ${e.onnxruntime ?? '?'}, ` +
    `OpenMP: ${e.ompWaitPolicy || e.gompSpinCount ? `${[e.ompWaitPolicy && `OMP_WAIT_POLICY=${e.ompWaitPolicy}`, e.gompSpinCount && `GOMP_SPINCOUNT=${e.gompSpinCount}`].filter(Boolean).join(' ')} for every runtime` : 'each runtime\'s own defaults'}, load average ${e.loadAverage.map((x) => x.toFixed(2)).join(' ')}. ` +
    'Event-loop lag: a 1 ms timer during back-to-back inference (an idle loop reads ≈ 1 ms; a runtime that blocks the JS thread reads ≈ its forward time). ' +
    'Outputs agree when every element is within tol = 1e-3 × the largest |output| of lwganet-node; "near-ties" when at most ' +
    `${NEAR_TIE_SHARE * 100}% of the elements are beyond it (the index max-pools may route a near-tied value differently under another rounding).`);
  if (e.busiest > e.cpus * 0.5) {
    lines.push('', `**Warning:** the machine was busy (1-min load average up to ${e.busiest.toFixed(2)} on ${e.cpus} CPUs): rerun on an idle machine before trusting these numbers.`);
  }
  return `${lines.join('\n')}\n`;
}
