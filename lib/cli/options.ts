/** Parsers for option values: a bad value is a usage error (commander prints it, exit code 2). */

import { InvalidArgumentError } from 'commander';

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}

export function httpUrl(value: string): string {
  let protocol = '';
  try {
    protocol = new URL(value).protocol;
  } catch {
    throw new InvalidArgumentError('must be an http(s) URL.');
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new InvalidArgumentError('must be an http(s) URL.');
  return value;
}

export function sha256Hex(value: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError('must be 64 hexadecimal digits.');
  return value.toLowerCase();
}
