/**
 * Checks a TorchScript archive (a zip file) before LibTorch reads it: every entry's CRC-32, and the
 * sizes entries claim before anything is inflated. LibTorch's reader checks neither: flipped bytes
 * inside the weights load silently, and a deflated entry is inflated into a buffer of whatever
 * size its header declares (a 600 KB file can claim gigabytes).
 *
 * Limits (documented in docs/reliability.md):
 * - extra/metadata.json: at most METADATA_MAX_BYTES uncompressed (METADATA_INVALID beyond);
 * - any compressed entry: at most COMPRESSED_ENTRY_MAX_BYTES uncompressed (MODEL_CORRUPT beyond).
 *   torch.jit.save stores every entry uncompressed, so real models never come near it.
 */

import { crc32, inflateRawSync } from 'node:zlib';
import { LwganetError } from '../errors.js';

export const METADATA_MAX_BYTES = 4 * 1024 * 1024;
export const COMPRESSED_ENTRY_MAX_BYTES = 256 * 1024 * 1024;

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

interface Entry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function corrupt(source: string, what: string): LwganetError {
  return new LwganetError('MODEL_CORRUPT', `${source} is damaged: ${what}`);
}

function u64(view: DataView, at: number): number {
  return Number(view.getBigUint64(at, true));
}

/** The central directory's offset and entry count (zip64 aware). */
function findDirectory(view: DataView, source: string): { offset: number; count: number } | null {
  const lowest = Math.max(0, view.byteLength - 22 - 0xffff);
  for (let at = view.byteLength - 22; at >= lowest; at--) {
    if (view.getUint32(at, true) !== EOCD_SIGNATURE) continue;
    let count = view.getUint16(at + 10, true);
    let offset = view.getUint32(at + 16, true);
    const locator = at - 20;
    if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR_SIGNATURE) {
      const record = u64(view, locator + 8);
      if (record + 56 > view.byteLength || view.getUint32(record, true) !== ZIP64_EOCD_SIGNATURE) throw corrupt(source, 'its zip64 end record is missing');
      count = u64(view, record + 32);
      offset = u64(view, record + 48);
    }
    return { offset, count };
  }
  return null;
}

/** Sizes and offset from the zip64 extra field, for the fields the entry left at 0xFFFFFFFF. */
function applyZip64(view: DataView, extraStart: number, extraEnd: number, entry: Entry): void {
  for (let at = extraStart; at + 4 <= extraEnd; ) {
    const id = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    if (id === 0x0001) {
      let field = at + 4;
      const end = field + length;
      const next = (): number => {
        if (field + 8 > end) throw new RangeError('short zip64 field');
        const value = u64(view, field);
        field += 8;
        return value;
      };
      if (entry.size === 0xffffffff) entry.size = next();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
      if (entry.localOffset === 0xffffffff) entry.localOffset = next();
      return;
    }
    at += 4 + length;
  }
}

/** The archive's entries, or null when it is not a zip file at all (LibTorch then says why). */
function readEntries(view: DataView, source: string): Entry[] | null {
  const directory = findDirectory(view, source);
  if (!directory) return null;
  const { offset, count } = directory;
  const entries: Entry[] = [];
  let at = offset;
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (at + 46 > view.byteLength || view.getUint32(at, true) !== CENTRAL_SIGNATURE) throw corrupt(source, `its zip directory is cut short at entry ${i}`);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const nameStart = at + 46;
    if (nameStart + nameLength + extraLength > view.byteLength) throw corrupt(source, `its zip directory is cut short at entry ${i}`);
    const entry: Entry = {
      name: decoder.decode(new Uint8Array(view.buffer, view.byteOffset + nameStart, nameLength)),
      method: view.getUint16(at + 10, true),
      crc: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localOffset: view.getUint32(at + 42, true),
    };
    applyZip64(view, nameStart + nameLength, nameStart + nameLength + extraLength, entry);
    entries.push(entry);
    at = nameStart + nameLength + extraLength + commentLength;
  }
  return entries;
}

function isMetadata(name: string): boolean {
  return name === 'extra/metadata.json' || name.endsWith('/extra/metadata.json');
}

/** Throws MODEL_CORRUPT (damaged or hostile archive) or METADATA_INVALID (oversized metadata.json). */
export function checkModelArchive(bytes: Uint8Array, source: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let entries: Entry[] | null;
  try {
    entries = readEntries(view, source);
  } catch (error) {
    if (error instanceof LwganetError) throw error;
    throw corrupt(source, `its zip directory cannot be read (${(error as Error).message})`);
  }
  if (!entries) return;
  for (const entry of entries) {
    if (isMetadata(entry.name) && entry.size > METADATA_MAX_BYTES) {
      throw new LwganetError(
        'METADATA_INVALID',
        `Model metadata is invalid: ${entry.name} would inflate to ${entry.size} bytes, over the ${METADATA_MAX_BYTES}-byte limit`,
      );
    }
    if (entry.method !== STORED && entry.method !== DEFLATED) throw corrupt(source, `entry ${entry.name} uses zip method ${entry.method}, which LibTorch cannot read`);
    if (entry.method === DEFLATED && entry.size > COMPRESSED_ENTRY_MAX_BYTES) {
      throw corrupt(source, `compressed entry ${entry.name} claims ${entry.size} bytes, over the ${COMPRESSED_ENTRY_MAX_BYTES}-byte limit (a zip bomb?)`);
    }
    const local = entry.localOffset;
    if (local + 30 > bytes.byteLength || view.getUint32(local, true) !== LOCAL_SIGNATURE) throw corrupt(source, `entry ${entry.name} is missing (truncated file?)`);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (dataStart + entry.compressedSize > bytes.byteLength) throw corrupt(source, `entry ${entry.name} is cut short (truncated file?)`);
    const stored = bytes.subarray(dataStart, dataStart + entry.compressedSize);
    let content: Uint8Array = stored;
    if (entry.method === STORED) {
      if (entry.size !== entry.compressedSize) throw corrupt(source, `stored entry ${entry.name} has two different sizes`);
    } else {
      try {
        content = inflateRawSync(stored, { maxOutputLength: Math.max(1, entry.size) });
      } catch (error) {
        throw corrupt(source, `entry ${entry.name} does not inflate to its declared ${entry.size} bytes (${(error as Error).message})`);
      }
      if (content.byteLength !== entry.size) throw corrupt(source, `entry ${entry.name} inflates to ${content.byteLength} bytes, not the ${entry.size} it declares`);
    }
    if ((crc32(content) >>> 0) !== entry.crc) throw corrupt(source, `entry ${entry.name} fails its CRC-32 check (the file was altered or damaged)`);
  }
}
