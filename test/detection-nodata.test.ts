// detect() on a georeferenced image with nodata: a box whose centre pixel is nodata is dropped
// (there is no image there); the same pixels without nodata keep it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadModel, type Model } from '../lib/model/model.js';
import { detect } from '../lib/tasks/detection.js';
import { blobImage, type Blob } from './helpers/blob-images.js';
import { fixture } from './helpers/fixtures.js';
import { geotiff, tempDir, writeFixture } from './helpers/image-fixtures.js';

const { dir, cleanup } = tempDir('lwganet-det-nodata-');
let model: Model;
beforeAll(async () => {
  model = await loadModel(fixture('detector.pt'), { threads: 1 });
});
afterAll(() => {
  model?.dispose();
  cleanup();
});

const W = 128;
const H = 128;
const BLOBS: Blob[] = [
  { id: 1, label: 0, rect: [10, 10, 40, 30] },
  { id: 2, label: 4, rect: [70, 60, 100, 100] },
];

it('drops the box whose centre is nodata, keeps the other', async () => {
  const data = blobImage(W, H, BLOBS);
  for (let i = 0; i < W * H; i++) if (data[i * 3] === 0) data[i * 3] = 1; // no accidental nodata
  const hole = data.slice();
  for (let y = 19; y <= 21; y++) for (let x = 24; x <= 26; x++) hole[(y * W + x) * 3] = 0; // blob 1's centre (25, 20)
  const bands = (pixels: Uint8Array) => [0, 1, 2].map((c) => Uint8Array.from({ length: W * H }, (_, i) => pixels[i * 3 + c]));
  const withNodata = writeFixture(dir, 'nodata.tif', geotiff({ width: W, height: H, bands: bands(hole), noData: 0, epsg: 32633, origin: [500000, 4000000, 1, 1] }));
  const without = writeFixture(dir, 'plain.tif', geotiff({ width: W, height: H, bands: bands(hole), epsg: 32633, origin: [500000, 4000000, 1, 1] }));
  const centres = (r: Awaited<ReturnType<typeof detect>>) => r.detections.map((d) => [Math.round(d.cx), Math.round(d.cy)]).sort((a, b) => a[0] - b[0]);
  const all = centres(await detect(without, { model }));
  expect(all).toHaveLength(2);
  const kept = centres(await detect(withNodata, { model }));
  expect(kept).toEqual(all.filter(([x]) => x > 50));
});
