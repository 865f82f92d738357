// DOTA files parsed by mmrotate's own code (test/helpers/dota_reference.py runs
// DOTADataset.load_annotations on the label files and DOTADataset._results2submission on the
// same boxes for Task1): label lines with an integer difficulty, Task1 files equal to
// mmrotate's, and boxes clipped to the image on request.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clipQuadToImage } from '../lib/detection/clip-quad.js';
import { corners, dotaOrder, type Quad } from '../lib/detection/rotated-box.js';
import { DOTA_V1_0 } from '../lib/detection/dota-classes.js';
import { detectionsDotaText, writeDetectionsDota } from '../lib/output/detections-dota.js';
import { dotaImageId, dotaTask1Lines, updateDotaTask1 } from '../lib/output/dota-task1.js';
import type { DetectionResult } from '../lib/tasks/detection.js';
import { tempDir } from './helpers/image-fixtures.js';
import { helperScript, runPython } from './helpers/image-python.js';

const { dir, cleanup } = tempDir('lwganet-dota-');
afterAll(() => cleanup());

const W = 100;
const H = 80;
type Box = { cx: number; cy: number; w: number; h: number; angle: number; score: number; label: string };
const IMAGE_1: Box[] = [
  { cx: 10, cy: 20, w: 8, h: 4, angle: 0, score: 0.9, label: 'plane' },
  { cx: 30, cy: 40, w: 10, h: 6, angle: -Math.PI / 2, score: 0.5, label: 'large-vehicle' },
  { cx: 50, cy: 50, w: 20, h: 10, angle: Math.PI / 6, score: 0.125, label: 'ship' },
  // Crosses the top-right corner of the image.
  { cx: 96, cy: 4, w: 30, h: 12, angle: 0.3, score: 0.75, label: 'ship' },
];
const IMAGE_2: Box[] = [
  { cx: 60, cy: 30, w: 16, h: 8, angle: -0.7, score: 0.625, label: 'plane' },
  { cx: 5, cy: 70, w: 12, h: 6, angle: 1.2, score: 0.375, label: 'harbor' },
];

function result(boxes: Box[]): DetectionResult {
  return {
    width: W, height: H, labels: [...DOTA_V1_0], palette: [[255, 0, 0]], geo: null,
    detections: boxes.map((b) => ({ ...b, index: DOTA_V1_0.indexOf(b.label), polygon: corners(b) })),
    tiling: { tileSize: 1024, overlap: 200, tiles: 1 }, scoreThreshold: 0.05, iouThreshold: 0.1,
  };
}

interface Parsed { filename: string; labels: number[]; polygons: number[][]; bboxes: number[][] }

/**
 * Writes P0001.txt (plain) and P0002.txt (clipped) and parses them with mmrotate. Called by the
 * tests that check them (not in a hook), so mutation testing credits the writer to those tests.
 */
async function mmrotateLabels(name: string): Promise<Parsed[]> {
  const labels = join(dir, name);
  mkdirSync(labels);
  await writeDetectionsDota(join(labels, 'P0001.txt'), result(IMAGE_1));
  await writeDetectionsDota(join(labels, 'P0002.txt'), result(IMAGE_1), { clip: true });
  return JSON.parse(runPython([helperScript('dota_reference.py'), 'labels', labels])).files;
}

function polygonArea(p: number[]): number {
  let s = 0;
  for (let i = 0; i < 4; i++) s += p[2 * i] * p[2 * ((i + 1) % 4) + 1] - p[2 * ((i + 1) % 4)] * p[2 * i + 1];
  return Math.abs(s) / 2;
}

describe('DOTA label files', () => {
  it('lines are "x1 … y4 class difficulty" with difficulty 0 and no score', () => {
    const lines = detectionsDotaText(result(IMAGE_1)).trim().split('\n');
    expect(lines[0]).toBe('6.00 18.00 14.00 18.00 14.00 22.00 6.00 22.00 plane 0');
    expect(lines.every((line) => line.split(' ').length === 10 && line.endsWith(' 0'))).toBe(true);
  });

  it('mmrotate\'s DOTADataset.load_annotations reads every box with its class and corners', async () => {
    const labels = await mmrotateLabels('labels-plain');
    const plain = labels.find((f) => f.filename === 'P0001.png')!;
    expect(plain.labels).toEqual(IMAGE_1.map((b) => DOTA_V1_0.indexOf(b.label)));
    plain.polygons.forEach((p, i) => {
      dotaOrder(corners(IMAGE_1[i])).flat().forEach((v, k) => expect(Math.abs(p[k] - v), `box ${i}`).toBeLessThan(0.006));
    });
    // The box across the corner reaches outside the image when not clipped.
    expect(Math.max(...plain.polygons[3].filter((_, k) => k % 2 === 0))).toBeGreaterThan(W);
  });

  it('with clip: every corner inside the image, boxes inside unchanged, the crossing one smaller but kept', async () => {
    const labels = await mmrotateLabels('labels-clip');
    const clipped = labels.find((f) => f.filename === 'P0002.png')!;
    const plain = labels.find((f) => f.filename === 'P0001.png')!;
    expect(clipped.labels).toEqual(plain.labels);
    for (const p of clipped.polygons) {
      p.forEach((v, k) => expect(v >= 0 && v <= (k % 2 === 0 ? W : H), `coordinate ${k} of ${p}`).toBe(true));
    }
    expect(clipped.polygons.slice(0, 3)).toEqual(plain.polygons.slice(0, 3));
    const area = polygonArea(clipped.polygons[3]);
    expect(area).toBeGreaterThan(0);
    expect(area).toBeLessThan(polygonArea(plain.polygons[3]));
  });

  it('clipping: a box wholly outside is dropped; a corner-crossing box becomes the largest convex 4-gon inside', () => {
    expect(clipQuadToImage(corners({ cx: -20, cy: 10, w: 8, h: 4, angle: 0.2 }), W, H)).toBeNull();
    // Axis-aligned square [90, 110] × [−10, 10] → exactly [90, 100] × [0, 10].
    const q = clipQuadToImage([[90, -10], [110, -10], [110, 10], [90, 10]], W, H) as Quad;
    expect(q.map((p) => p.join(',')).sort()).toEqual(['100,0', '100,10', '90,0', '90,10']);
  });
});

describe('clipping by hand', () => {
  it('an edge crossing x = 0 is cut where it crosses; the 5-gon loses its cheapest vertex (the first of two equal ones)', () => {
    // Diamond around (2, 5): x = 0 cuts (2, 9)–(−2, 5) at (0, 7) and (−2, 5)–(2, 1) at (0, 3).
    // Vertex losses: (0, 7) 4, (0, 3) 4, (2, 1) 8, (6, 5) 16, (2, 9) 8.
    expect(clipQuadToImage([[-2, 5], [2, 1], [6, 5], [2, 9]], W, H)).toEqual([[0, 3], [2, 1], [6, 5], [2, 9]]);
    // The same at the far sides: x = 100 cuts at (100, 73) and (100, 77), y = 80 at (7, 80) and (3, 80).
    expect(clipQuadToImage([[102, 75], [98, 79], [94, 75], [98, 71]], W, H)).toEqual([[100, 77], [98, 79], [94, 75], [98, 71]]);
    expect(clipQuadToImage([[5, 82], [1, 78], [5, 74], [9, 78]], W, H)).toEqual([[3, 80], [1, 78], [5, 74], [9, 78]]);
    // Uneven: x = 0 cuts at (0, 4.75) and (0, 7); losses (0, 4.75) 3.375, (3, 1) 11.625, (6, 5) 14,
    // (2, 9) 8, (0, 7) 2.25: the last vertex goes, not the first.
    expect(clipQuadToImage([[3, 1], [6, 5], [2, 9], [-1, 6]], W, H)).toEqual([[0, 4.75], [3, 1], [6, 5], [2, 9]]);
  });

  it('a triangle inside repeats its last corner; a box touching the image along one edge only is dropped', () => {
    // Diamond around (0, 5): its right half, corners (0, 8) and (0, 2) met twice by the clip.
    expect(clipQuadToImage([[3, 5], [0, 8], [-3, 5], [0, 2]], W, H)).toEqual([[3, 5], [0, 8], [0, 2], [0, 2]]);
    expect(clipQuadToImage([[-4, 0], [0, 0], [0, 4], [-4, 4]], W, H)).toBeNull();
    expect(clipQuadToImage([[10, -6], [20, -6], [20, 0], [10, 0]], W, H)).toBeNull();
  });

  it('the clip option must be a boolean; image ids are file names without whitespace', () => {
    expect(() => detectionsDotaText(result(IMAGE_1), { clip: 'yes' as never })).toThrow(new TypeError('Expected a boolean for clip but received "yes" of type string'));
    expect(detectionsDotaText(result(IMAGE_1), { clip: false })).toBe(detectionsDotaText(result(IMAGE_1)));
    expect(dotaImageId('images/P0006.png')).toBe('P0006');
    expect(dotaImageId('P0007')).toBe('P0007');
    expect(() => dotaImageId('')).toThrow(RangeError);
    expect(() => dotaImageId('my scene.tif')).toThrow(new RangeError('Expected a file name without whitespace for image id but received "my scene.tif" of type string'));
    expect(() => dotaTask1Lines('', result(IMAGE_1))).toThrow(RangeError);
    expect(() => dotaTask1Lines('P 1', result(IMAGE_1))).toThrow(RangeError);
    expect(() => dotaTask1Lines(7 as never, result(IMAGE_1))).toThrow(new RangeError('Expected a non-empty name without whitespace for image id but received 7 of type number'));
  });

  it('a box wholly outside the image has no line when clipped; runs of whitespace in a class become one "_"', () => {
    const outside = { cx: -30, cy: 10, w: 8, h: 4, angle: 0.2, score: 0.8, label: 'plane' };
    const lines = detectionsDotaText(result([outside, IMAGE_1[0]]), { clip: true }).trim().split('\n');
    expect(lines).toEqual(['6.00 18.00 14.00 18.00 14.00 22.00 6.00 22.00 plane 0']);
    const spaced = result([IMAGE_1[0]]);
    spaced.detections[0] = { ...spaced.detections[0], label: 'small \t vehicle' };
    expect(detectionsDotaText(spaced)).toMatch(/ small_vehicle 0\n$/);
    expect(dotaTask1Lines('P1', result([outside]), { clip: true }).get('plane')).toEqual([]);
  });

  it('Task1: a class outside the label set gets its own file; files are returned and have no blank lines after updates', async () => {
    const out = join(dir, 'task1-extra');
    const extra = result([IMAGE_1[0]]);
    extra.detections[0] = { ...extra.detections[0], label: 'hot air balloon' };
    const files = await updateDotaTask1(out, 'P0009.png', extra);
    expect(files).toHaveLength(16);
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual([...DOTA_V1_0.map((l) => `Task1_${l}.txt`), 'Task1_hot_air_balloon.txt'].sort());
    await updateDotaTask1(out, 'P0010.png', extra);
    await updateDotaTask1(out, 'P0009.png', extra);
    const text = readFileSync(join(out, 'Task1_hot_air_balloon.txt'), 'utf8');
    expect(text.split('\n')).toEqual([expect.stringMatching(/^P0010 /), expect.stringMatching(/^P0009 /), '']);
  });
});

describe('DOTA Task1 submission files', () => {
  it('equal mmrotate\'s _results2submission for the same boxes, and a rerun of an image replaces its lines', async () => {
    const ours = join(dir, 'task1');
    await updateDotaTask1(ours, 'images/P0001.png', result(IMAGE_1));
    await updateDotaTask1(ours, 'P0002.tif', result(IMAGE_2));
    await updateDotaTask1(ours, 'images/P0001.png', result(IMAGE_1));
    const dets = [IMAGE_1, IMAGE_2].map((boxes) => DOTA_V1_0.map((label) => boxes.filter((b) => b.label === label).map((b) => [b.cx, b.cy, b.w, b.h, b.angle, b.score])));
    const job = join(dir, 'task1-job.json');
    writeFileSync(job, JSON.stringify({ ids: ['P0001', 'P0002'], dets }));
    const theirs = join(dir, 'task1-mmrotate');
    runPython([helperScript('dota_reference.py'), 'task1', job, theirs]);
    const names = readdirSync(theirs).filter((n) => n.endsWith('.txt')).sort();
    expect(readdirSync(ours).sort()).toEqual(names);
    expect(names).toHaveLength(15);
    const parse = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => {
      const [id, score, ...xy] = line.split(' ');
      const points = [0, 1, 2, 3].map((i) => `${Number(xy[2 * i]).toFixed(1)},${Number(xy[2 * i + 1]).toFixed(1)}`).sort();
      return `${id} ${Number(score).toFixed(5)} ${points.join(' ')}`;
    }).sort();
    for (const name of names) expect(parse(join(ours, name)), name).toEqual(parse(join(theirs, name)));
    expect(parse(join(ours, 'Task1_ship.txt'))).toHaveLength(2);
  });
});
