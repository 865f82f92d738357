// The chart of bench/compare.mjs: per case, each runtime's images/s relative to onnxruntime-node
// (1.0, dashed) with the ≥ 1.3× goal marked; drawn as SVG and rendered to PNG by sharp.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { caseTitle, GOAL_VS_ORT, RUNTIMES, shownRuntimes } from './report.mjs';

const COLORS = { lwganet: '#1f77b4', ceiling: '#7f7f7f', 'debian-ceiling': '#9467bd', python: '#ff7f0e', ort: '#2ca02c' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function chartSvg(run) {
  const names = shownRuntimes(run);
  const bar = 18;
  const group = names.length * bar + 26;
  const left = 200;
  const plot = 560;
  const width = left + plot + 170;
  // Legend entries left to right, wrapping to another row at the right edge (~7 px per character at 12 px sans-serif).
  const legend = [];
  let legendX = left;
  let legendY = 54;
  for (const n of names) {
    const w = 16 + RUNTIMES[n].label.length * 7;
    if (legendX > left && legendX + w > width - 10) {
      legendX = left;
      legendY += 18;
    }
    legend.push({ n, x: legendX, y: legendY });
    legendX += w + 18;
  }
  const top = legendY + 16;
  const height = top + run.cases.length * group + 40;
  const relative = run.cases.map((c) => {
    const base = c.runtimes.ort?.imagesPerSecond ?? null;
    return names.map((n) => (base && c.runtimes[n]?.imagesPerSecond ? c.runtimes[n].imagesPerSecond / base : null));
  });
  const max = Math.max(GOAL_VS_ORT * 1.15, ...relative.flat().filter((x) => x !== null).map((x) => x * 1.05));
  const x = (v) => left + (v / max) * plot;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">images/s relative to onnxruntime-node (= 1.0)</text>`,
    `<text x="${left}" y="44" fill="#555">${esc(`${run.date} · ${run.threads} threads · ${run.rounds} rounds${run.quick ? ' · --quick: noise' : ''}`)}</text>`,
  ];
  for (const { n, x: lx, y: ly } of legend) {
    parts.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${COLORS[n]}"/>`,
      `<text x="${lx + 16}" y="${ly + 11}" font-size="12">${esc(RUNTIMES[n].label)}</text>`);
  }
  for (const [v, label, dash] of [[1, '1.0', '4 3'], [GOAL_VS_ORT, `goal ${GOAL_VS_ORT}`, '2 2']]) {
    parts.push(`<line x1="${x(v)}" y1="${top + 10}" x2="${x(v)}" y2="${height - 24}" stroke="#444" stroke-dasharray="${dash}"/>`,
      `<text x="${x(v)}" y="${height - 8}" text-anchor="middle" font-size="11" fill="#444">${label}</text>`);
  }
  run.cases.forEach((c, ci) => {
    const y0 = top + 16 + ci * group;
    parts.push(`<text x="${left - 10}" y="${y0 + (names.length * bar) / 2 + 4}" text-anchor="end" font-weight="bold">${esc(caseTitle(c))}</text>`);
    names.forEach((n, i) => {
      const v = relative[ci][i];
      const y = y0 + i * bar;
      if (v === null) {
        parts.push(`<text x="${left + 4}" y="${y + 13}" fill="#999" font-size="11">${esc(RUNTIMES[n].label)}: no result</text>`);
        return;
      }
      const ips = c.runtimes[n].imagesPerSecond;
      parts.push(`<rect x="${left}" y="${y + 2}" width="${x(v) - left}" height="${bar - 4}" fill="${COLORS[n]}"/>`,
        `<text x="${x(v) + 4}" y="${y + 13}" font-size="11">${v.toFixed(2)}× (${ips >= 100 ? ips.toFixed(0) : ips.toFixed(1)} img/s)</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Writes the SVG and its PNG rendering (sharp, a dependency of the package). */
export async function writeChart(run, svgPath, pngPath) {
  const svg = chartSvg(run);
  writeFileSync(svgPath, svg);
  const sharp = createRequire(import.meta.url)('sharp');
  await sharp(Buffer.from(svg)).png().toFile(pngPath);
}
