/**
 * A streaming PNG encoder (8-bit grey, RGB or palette), written here because sharp cannot emit
 * an indexed PNG with an exact palette (its palette mode quantises) and would need the whole
 * RGB picture in memory. Rows are pulled band by band, deflated as a stream and written as
 * consecutive IDAT chunks, so memory stays at one band whatever the picture size.
 */

import { createDeflate } from 'node:zlib';
import { crc32 } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import type { Palette } from '../model/metadata.js';
import { writeAtomically } from './atomic.js';

export interface PngHeader {
  width: number;
  height: number;
  /** 'grey': 1 byte per pixel; 'rgb': 3; 'palette': 1 byte index into `palette`. */
  colorType: 'grey' | 'rgb' | 'palette';
  palette?: Palette;
}

/** Returns the pixel bytes of rows [top, bottom) (width × bytes per pixel each). */
export type RowSource = (top: number, bottom: number) => Uint8Array | Promise<Uint8Array>;

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const COLOR_TYPE = { grey: 0, rgb: 2, palette: 3 } as const;
/** Rows pulled per band: about 4 MB of RGB for a 20 000-pixel-wide picture. */
const BAND_BYTES = 4 * 1024 * 1024;

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function headerChunks(header: PngHeader): Buffer[] {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(header.width, 0);
  ihdr.writeUInt32BE(header.height, 4);
  ihdr.set([8, COLOR_TYPE[header.colorType], 0, 0, 0], 8);
  const chunks = [chunk('IHDR', ihdr)];
  if (header.colorType === 'palette') {
    const palette = header.palette ?? [];
    if (palette.length < 1 || palette.length > 256) throw new RangeError(`A palette PNG needs 1 to 256 colours, got ${palette.length}`);
    chunks.push(chunk('PLTE', Uint8Array.from(palette.flat())));
  }
  return chunks;
}

async function writeImageData(handle: FileHandle, header: PngHeader, rows: RowSource): Promise<void> {
  const bytesPerPixel = header.colorType === 'rgb' ? 3 : 1;
  const rowBytes = header.width * bytesPerPixel;
  const bandRows = Math.max(1, Math.floor(BAND_BYTES / rowBytes));
  const deflate = createDeflate({ level: 6 });
  const pending: Buffer[] = [];
  deflate.on('data', (data: Buffer) => pending.push(data));
  const ended = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const flushPending = async () => {
    while (pending.length > 0) await handle.write(chunk('IDAT', pending.shift()!));
  };
  for (let top = 0; top < header.height; top += bandRows) {
    const bottom = Math.min(header.height, top + bandRows);
    const pixels = await rows(top, bottom);
    if (pixels.length !== (bottom - top) * rowBytes) throw new Error(`Row source returned ${pixels.length} bytes for ${bottom - top} rows of ${rowBytes}`);
    // Filter type 0 (None) on every row: masks compress well without filtering.
    const filtered = Buffer.alloc((bottom - top) * (rowBytes + 1));
    for (let y = 0; y < bottom - top; y++) filtered.set(pixels.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
    if (!deflate.write(filtered)) await new Promise((resolve) => deflate.once('drain', resolve));
    await flushPending();
  }
  deflate.end();
  await ended;
  await flushPending();
}

/**
 * Writes a PNG to `file` atomically (never a partial file), pulling rows from `rows`.
 * @throws whatever `rows` throws, or file system errors; the target is then untouched.
 */
export async function writePng(file: string, header: PngHeader, rows: RowSource): Promise<void> {
  if (!Number.isSafeInteger(header.width) || !Number.isSafeInteger(header.height) || header.width < 1 || header.height < 1) {
    throw new RangeError(`PNG size must be positive, got ${header.width}×${header.height}`);
  }
  const head = headerChunks(header);
  await writeAtomically(file, async (handle) => {
    await handle.write(SIGNATURE);
    for (const c of head) await handle.write(c);
    await writeImageData(handle, header, rows);
    await handle.write(chunk('IEND', new Uint8Array(0)));
  });
}
