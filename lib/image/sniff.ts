/**
 * Container format from the first bytes of a file. Extensions lie (a .tif that is a JPEG, a
 * .jpg that is HTML from a failed download); magic numbers do not.
 */

export type SniffedFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'other';

/** Number of leading bytes sniffFormat() needs. */
export const SNIFF_BYTES = 12;

export function sniffFormat(head: Uint8Array): SniffedFormat {
  const b = (i: number) => head[i] ?? -1;
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if (b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return 'png';
  if (b(0) === 0x52 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x46 && b(8) === 0x57 && b(9) === 0x45 && b(10) === 0x42 && b(11) === 0x50) {
    return 'webp';
  }
  // Classic TIFF (42) and BigTIFF (43), little- and big-endian.
  if (b(0) === 0x49 && b(1) === 0x49 && (b(2) === 42 || b(2) === 43) && b(3) === 0) return 'tiff';
  if (b(0) === 0x4d && b(1) === 0x4d && b(2) === 0 && (b(3) === 42 || b(3) === 43)) return 'tiff';
  return 'other';
}
