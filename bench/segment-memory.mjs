// Peak memory of segment() on a 10000×10000 GeoTIFF: shows memory is bounded by one band of
// tiles, not the scene. Uses a cheap per-pixel TorchScript model (1×1 conv, 8 classes) so the
// run takes a minute or two; the scene is a striped GeoTIFF written by PIL (the venv Python),
// so window reads touch only the strips they need.
//
// Usage: npm run build:ts && node bench/segment-memory.mjs [--size 10000] [--tile 1024] [--overlap 128]
// Writes bench/results/segment-memory-latest.md.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const { loadModel, segment, writeMaskFile } = require(join(ROOT, 'dist', 'index.js'));

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, v, i, all) => (i % 2 === 0 ? [...pairs, [v.replace(/^--/, ''), all[i + 1]]] : pairs), []));
const SIZE = Number(args.size ?? 10000);
const TILE = Number(args.tile ?? 1024);
const OVERLAP = Number(args.overlap ?? 128);
const CLASSES = 8;

const MAKE = `
import json, sys, numpy as np, torch
from PIL import Image, TiffImagePlugin
out, size, classes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
g = torch.Generator().manual_seed(0)
class PerPixel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("w", torch.randn(classes, 3, generator=g))
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("kc,nchw->nkhw", self.w, x)
meta = {"format": "lwganet-model", "formatVersion": 1, "task": "segmentation", "model": "bench_per_pixel", "variant": "bench",
  "labelSet": None, "labels": [f"c{i}" for i in range(classes)], "numClasses": classes, "palette": None,
  "input": {"channels": 3, "layout": "NCHW", "dtype": "float32", "colorOrder": "RGB", "valueScale": 255,
    "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
    "size": {"rule": "any", "minHeight": 64, "minWidth": 64, "multipleOf": 32}, "resize": {"mode": "none"}},
  "outputs": [{"name": "logits", "kind": "logits", "shape": ["N", classes, "H", "W"]}],
  "tiling": {"defaultTileSize": 1024, "tileMultiple": 32, "minTileSize": 64, "defaultOverlap": 128},
  "weights": {"source": "random-init", "seed": 0, "file": None, "sha256": None},
  "export": {"torchVersion": torch.__version__, "lwganetVersion": "bench", "method": "script", "frozen": False, "dtype": "float32", "createdAt": "2024-01-01T00:00:00Z"}}
torch.jit.save(torch.jit.script(PerPixel()), out + "/model.pt", _extra_files={"metadata.json": json.dumps(meta)})
y, x = np.mgrid[0:size, 0:size]
rgb = np.stack([(x * 7 + y) % 256, (y * 3) % 256, ((x ^ y) * 5) % 256], -1).astype(np.uint8)
del x, y
ifd = TiffImagePlugin.ImageFileDirectory_v2()
ifd[33550] = (0.5, 0.5, 0.0); ifd.tagtype[33550] = 12
ifd[33922] = (0.0, 0.0, 0.0, 500000.0, 4600000.0, 0.0); ifd.tagtype[33922] = 12
ifd[34735] = (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32633); ifd.tagtype[34735] = 3
# Deflate makes libtiff write small strips (a few rows each), so window reads stay small.
Image.fromarray(rgb).save(out + "/scene.tif", tiffinfo=ifd, compression="tiff_adobe_deflate")
`;

const dir = mkdtempSync(join(tmpdir(), 'lwganet-segmem-'));
try {
  const t0 = Date.now();
  // TorchScript compiles from source text, so the generator must be a real .py file.
  writeFileSync(join(dir, 'make.py'), MAKE);
  execFileSync(PYTHON, ['-W', 'ignore', join(dir, 'make.py'), dir, String(SIZE), String(CLASSES)], { stdio: 'inherit' });
  const makeSeconds = (Date.now() - t0) / 1000;
  const scene = join(dir, 'scene.tif');
  const model = await loadModel(join(dir, 'model.pt'), { threads: 2 });
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = Date.now();
  const result = await segment(scene, { model, tileSize: TILE, overlap: OVERLAP, batchSize: 2 });
  const seconds = (Date.now() - start) / 1000;
  peak = Math.max(peak, process.memoryUsage().rss);
  const afterSegment = peak;
  await writeMaskFile(join(dir, 'mask.tif'), result.mask, result.width, result.height, { geo: result.geo });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const maxRss = process.resourceUsage().maxRSS * 1024;
  model.dispose();
  const mb = (b) => (b / 2 ** 20).toFixed(0);
  const band = TILE * SIZE * (CLASSES + 1) * 4;
  const rows = [
    ['scene', `${SIZE}×${SIZE} RGB GeoTIFF (deflate strips), ${mb(statSync(scene).size)} MB on disk (${mb(SIZE * SIZE * 3)} MB decoded)`],
    ['georeferencing read', result.geo ? `EPSG:${result.geo.epsg}, geotransform [${result.geo.geoTransform.join(', ')}]` : 'none (generator lost the tags)'],
    ['model', `per-pixel 1×1 conv, ${CLASSES} classes (TorchScript, 2 threads)`],
    ['tiles', `${result.tiling.tiles} of ${TILE}² (overlap ${OVERLAP}), batch 2`],
    ['segment() time', `${seconds.toFixed(1)} s`],
    ['RSS before segment()', `${mb(baseline)} MB`],
    ['peak RSS during segment() (sampled every 20 ms)', `${mb(afterSegment)} MB`],
    ['peak RSS incl. GeoTIFF mask write', `${mb(peak)} MB`],
    ['process maxRSS (getrusage, whole process)', `${mb(maxRss)} MB`],
    ['result mask (1 byte/pixel, returned to the caller)', `${mb(SIZE * SIZE)} MB`],
    ['band accumulator (tile × width × (classes+1) × 4 B)', `${mb(band)} MB`],
    ['full-scene float logits (never allocated)', `${mb(SIZE * SIZE * CLASSES * 4)} MB`],
  ];
  const table = ['| quantity | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  const text = `# segment() peak memory on a ${SIZE}×${SIZE} scene\n\n${new Date().toISOString()} · node ${process.version} · scene generation ${makeSeconds.toFixed(0)} s\n\n${table}\n`;
  writeFileSync(join(ROOT, 'bench', 'results', 'segment-memory-latest.md'), text);
  process.stdout.write(text);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
