import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../lib/image/decode.js';
import { DEFAULT_MAX_PIXELS } from '../../lib/image/limits.js';
import { LwganetError } from '../../lib/errors.js';
import { encode, pattern, pngWithDeclaredSize, tempDir, writeFixture } from '../helpers/image-fixtures.js';

const W = 7;
const H = 5;
const rgb = pattern(W, H, 3);
const tmp = tempDir();
afterAll(tmp.cleanup);

function greyToRgb(grey: Uint8Array, stride: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < grey.length; i += stride) out.push(grey[i], grey[i], grey[i]);
  return out;
}

async function expectCode(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(LwganetError);
  expect((error as LwganetError).code).toBe(code);
  expect((error as Error).message).toMatch(message);
}

describe('decodeImage: formats', () => {
  it.each(['png', 'webp', 'tiff'] as const)('decodes lossless %s exactly, from a Buffer and from a path', async (format) => {
    const bytes = await encode(rgb, W, H, 3, format);
    for (const input of [bytes, writeFixture(tmp.dir, `rgb.${format}`, bytes)]) {
      const img = await decodeImage(input);
      expect([img.width, img.height, img.channels]).toEqual([W, H, 3]);
      expect(Array.from(img.data)).toEqual(Array.from(rgb));
      expect(img.source).toEqual({ format, channels: 3, bitsPerSample: 8 });
      expect(img.geo).toBeNull();
    }
  });

  it('decodes JPEG (lossy: every sample within 8 levels at quality 100, 4:4:4)', async () => {
    const flat = new Uint8Array(16 * 16 * 3).map((_, i) => [200, 40, 90][i % 3]);
    const img = await decodeImage(await encode(flat, 16, 16, 3, 'jpeg'));
    expect([img.width, img.height, img.source.format]).toEqual([16, 16, 'jpeg']);
    img.data.forEach((v, i) => expect(Math.abs(v - flat[i])).toBeLessThanOrEqual(8));
  });

  it('sniffs the format from bytes, not the file extension', async () => {
    const path = writeFixture(tmp.dir, 'actually-png.jpg', await encode(rgb, W, H, 3, 'png'));
    const img = await decodeImage(path);
    expect(img.source.format).toBe('png');
    expect(Array.from(img.data)).toEqual(Array.from(rgb));
  });
});

describe('decodeImage: documented conversions', () => {
  it('replicates grey into R, G and B', async () => {
    const grey = pattern(W, H, 1, 7);
    const img = await decodeImage(await encode(grey, W, H, 1, 'png'));
    expect(img.source.channels).toBe(1);
    expect(Array.from(img.data)).toEqual(greyToRgb(grey, 1));
  });

  it('drops alpha without compositing (grey+alpha and RGBA)', async () => {
    const ga = pattern(W, H, 2, 3);
    const fromGa = await decodeImage(await encode(ga, W, H, 2, 'png'));
    expect(Array.from(fromGa.data)).toEqual(greyToRgb(ga, 2));
    const rgba = pattern(W, H, 4, 5);
    const fromRgba = await decodeImage(await encode(rgba, W, H, 4, 'png'));
    expect(Array.from(fromRgba.data)).toEqual(Array.from(rgba).filter((_, i) => i % 4 !== 3));
  });

  it('expands palette PNGs to RGB', async () => {
    const colours = [[255, 0, 0], [0, 128, 255], [10, 200, 30]];
    const pixels = new Uint8Array(W * H * 3).map((_, i) => colours[Math.floor(i / 3) % 3][i % 3]);
    const png = await (await import('sharp')).default(pixels, { raw: { width: W, height: H, channels: 3 } })
      .png({ palette: true, colours: 4, dither: 0 })
      .toBuffer();
    const img = await decodeImage(png);
    expect(Array.from(img.data)).toEqual(Array.from(pixels));
  });

  it('maps 16-bit samples to 8 bits by keeping the high byte (v >> 8)', async () => {
    const deep = new Uint16Array(W * H * 3).map((_, i) => (i * 4099 + 255) % 65536);
    const img = await decodeImage(await encode(deep, W, H, 3, 'png'));
    expect(img.source.bitsPerSample).toBe(16);
    expect(Array.from(img.data)).toEqual(Array.from(deep, (v) => v >> 8));
  });
});

describe('decodeImage: raw pixels and decoded images', () => {
  it('wraps 3-channel 8-bit pixels without copying and returns decoded images as they are', async () => {
    const img = await decodeImage({ data: rgb, width: W, height: H, channels: 3 });
    expect(img.data).toBe(rgb);
    expect(await decodeImage(img)).toBe(img);
  });

  it('converts 1-, 2-, 4-channel and 16-bit raw pixels with the same rules as files', async () => {
    const grey = pattern(W, H, 1, 11);
    expect(Array.from((await decodeImage({ data: grey, width: W, height: H, channels: 1 })).data)).toEqual(greyToRgb(grey, 1));
    const ga = pattern(W, H, 2, 12);
    expect(Array.from((await decodeImage({ data: ga, width: W, height: H, channels: 2 })).data)).toEqual(greyToRgb(ga, 2));
    const rgba = pattern(W, H, 4, 13);
    expect(Array.from((await decodeImage({ data: rgba, width: W, height: H, channels: 4 })).data)).toEqual(Array.from(rgba).filter((_, i) => i % 4 !== 3));
    const deep = new Uint16Array(W * H * 3).map((_, i) => (i * 3001) % 65536);
    expect(Array.from((await decodeImage({ data: deep, width: W, height: H, channels: 3 })).data)).toEqual(Array.from(deep, (v) => v >> 8));
  });
});

describe('decodeImage: bad input (EXPECTED FAILURE)', () => {
  it('rejects a missing file, a directory and an empty file with IMAGE_DECODE', async () => {
    await expectCode(decodeImage(join(tmp.dir, 'nope.png')), 'IMAGE_DECODE', /nope\.png" could not be read: no such file/);
    const dir = join(tmp.dir, 'a-dir');
    mkdirSync(dir);
    await expectCode(decodeImage(dir), 'IMAGE_DECODE', /is not a file/);
    const empty = join(tmp.dir, 'empty.png');
    writeFileSync(empty, '');
    await expectCode(decodeImage(empty), 'IMAGE_DECODE', /the file is empty/);
    await expectCode(decodeImage(new Uint8Array(0)), 'IMAGE_DECODE', /the buffer is empty/);
  });

  it('rejects garbage and truncated files with IMAGE_DECODE', async () => {
    await expectCode(decodeImage(Buffer.from('<html>404 not found</html>')), 'IMAGE_DECODE', /could not be decoded/);
    for (const format of ['png', 'jpeg', 'webp', 'tiff'] as const) {
      const big = pattern(64, 64, 3, 21);
      const bytes = await encode(big, 64, 64, 3, format);
      await expectCode(decodeImage(bytes.subarray(0, Math.floor(bytes.length / 2))), 'IMAGE_DECODE', /could not be decoded/);
    }
  });

  it('rejects a pixel bomb from its header, before decoding (IMAGE_TOO_LARGE)', async () => {
    const bomb = pngWithDeclaredSize(await encode(rgb, W, H, 3, 'png'), 100_000, 100_000);
    const started = Date.now();
    await expectCode(decodeImage(bomb), 'IMAGE_TOO_LARGE', new RegExp(`100000×100000 = 10000000000 pixels exceeds the limit of ${DEFAULT_MAX_PIXELS}`));
    expect(Date.now() - started).toBeLessThan(2000);
    await expectCode(decodeImage(await encode(rgb, W, H, 3, 'png'), { maxPixels: 34 }), 'IMAGE_TOO_LARGE', /7×5 = 35 pixels/);
    await expectCode(decodeImage({ data: rgb, width: W, height: H, channels: 3 }, { maxPixels: 34 }), 'IMAGE_TOO_LARGE', /Raw pixel input/);
  });

  it('rejects wrong argument types and values with TypeError/RangeError', async () => {
    await expect(decodeImage(42 as never)).rejects.toThrow(TypeError);
    await expect(decodeImage(null as never)).rejects.toThrow(/Expected a path, a Buffer\/Uint8Array/);
    await expect(decodeImage('')).rejects.toThrow(RangeError);
    await expect(decodeImage({ data: rgb, width: W, height: H, channels: 5 as never })).rejects.toThrow(/Expected 1, 2, 3 or 4 for image.channels/);
    await expect(decodeImage({ data: rgb, width: W + 1, height: H, channels: 3 })).rejects.toThrow(RangeError);
    await expect(decodeImage({ data: [1, 2, 3] as never, width: 1, height: 1, channels: 3 })).rejects.toThrow(TypeError);
    await expect(decodeImage({ data: rgb, width: 0, height: H, channels: 3 })).rejects.toThrow(/positive integer for image.width/);
    await expect(decodeImage(rgb.subarray(0, 1), { maxPixels: -1 })).rejects.toThrow(RangeError);
    await expect(decodeImage(await encode(rgb, W, H, 3, 'png'), { window: [0, 0, 1, 1] })).rejects.toThrow(/window\/bands\/valueRange only for GeoTIFF/);
  });
});
