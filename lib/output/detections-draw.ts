/**
 * A picture for people: the input image with each detection's rotated box outlined in its
 * class colour and labelled "<class> <score>", written as an RGB PNG. The boxes are an SVG
 * overlay composited by sharp (librsvg draws it), highest scores on top. Unlike the mask
 * overlay this decodes the whole image (libvips composites whole images); decode.maxPixels
 * bounds it.
 */

import sharp from 'sharp';
import { LwganetError, invalidArgument } from '../errors.js';
import { decodeImage } from '../image/decode.js';
import type { DecodeOptions, ImageInput } from '../image/types.js';
import type { DetectionResult } from '../tasks/detection.js';
import { writeAtomically } from './atomic.js';

export interface DrawOptions {
  /** Outline width in pixels. Default: 2, growing with the image (1 per 512 pixels of its longer side). */
  lineWidth?: number;
  /** Write "<class> <score>" next to each box. Default true. */
  labels?: boolean;
  /** Decode options for the image (the same as used for detection). */
  decode?: DecodeOptions;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The SVG overlay for a width × height picture. */
export function detectionsSvg(result: DetectionResult, lineWidth: number, withLabels: boolean): string {
  const { width, height } = result;
  const fontSize = Math.max(10, Math.round(lineWidth * 6));
  const items: string[] = [];
  // Draw lowest scores first so the best boxes end up on top.
  for (let i = result.detections.length - 1; i >= 0; i--) {
    const d = result.detections[i];
    const [r, g, b] = result.palette[d.index] ?? [255, 255, 0];
    const colour = `rgb(${r},${g},${b})`;
    const points = d.polygon.map(([x, y]) => `${x.toFixed(2)},${y.toFixed(2)}`).join(' ');
    items.push(`<polygon points="${points}" fill="none" stroke="${colour}" stroke-width="${lineWidth}" stroke-linejoin="round"/>`);
    if (withLabels) {
      // Above the topmost corner, kept inside the picture.
      const text = `${d.label} ${d.score.toFixed(2)}`;
      const [x, y] = d.polygon.reduce((top, p) => (p[1] < top[1] ? p : top));
      // DejaVu Sans averages about 0.6 em per character: enough to keep the text on the picture.
      const tx = Math.min(Math.max(0, x), Math.max(0, width - 0.6 * fontSize * text.length));
      const ty = Math.max(fontSize, y - lineWidth);
      items.push(
        `<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="${colour}" stroke="black" stroke-width="${(fontSize / 8).toFixed(1)}" paint-order="stroke">${escapeXml(text)}</text>`,
      );
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${items.join('')}</svg>`;
}

/**
 * Writes the picture atomically (a failed write leaves no file behind).
 * @param image the image the detections were computed from (same width × height)
 * @throws INPUT_SHAPE when the image size differs from the result's; decode errors as decodeImage()
 */
export async function writeDetectionsPng(file: string, image: ImageInput, result: DetectionResult, options: DrawOptions = {}): Promise<void> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  const { width, height } = result;
  const lineWidth = options.lineWidth ?? Math.max(2, Math.round(Math.max(width, height) / 512));
  if (typeof lineWidth !== 'number' || !(lineWidth > 0 && lineWidth <= 1000)) throw invalidArgument('lineWidth', 'a positive number of pixels', lineWidth, typeof lineWidth === 'number' ? 'range' : 'type');
  const withLabels = options.labels ?? true;
  if (typeof withLabels !== 'boolean') throw invalidArgument('labels', 'a boolean', withLabels);
  const decoded = await decodeImage(image, options.decode ?? {});
  if (decoded.width !== width || decoded.height !== height) {
    throw new LwganetError('INPUT_SHAPE', `The image is ${decoded.width}×${decoded.height} but the detections are for ${width}×${height}`);
  }
  const svg = Buffer.from(detectionsSvg(result, lineWidth, withLabels));
  const png = await sharp(decoded.data, { raw: { width, height, channels: 3 }, limitInputPixels: false })
    .composite([{ input: svg, top: 0, left: 0, limitInputPixels: false }])
    // Compositing the SVG adds its alpha channel; the picture is opaque RGB.
    .removeAlpha()
    .png()
    .toBuffer();
  await writeAtomically(file, async (handle) => {
    await handle.write(png);
  });
}
