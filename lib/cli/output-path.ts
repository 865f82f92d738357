/**
 * Checks, before any inference, that an output file can be created where asked: its directory
 * exists, the path is not a directory, and the directory accepts a new file (a probe file is
 * created and removed: permission bits alone do not tell, e.g. for root or read-only mounts).
 * A failure is one line, exit code 1, instead of an error after minutes of inference.
 */

import { closeSync, existsSync, openSync, statSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { CliError } from './cli-error.js';

export function checkWritableOutput(file: string, what: string): void {
  const target = resolve(file);
  const dir = dirname(target);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`The directory of ${what} ${JSON.stringify(file)} does not exist`);
  if (existsSync(target) && statSync(target).isDirectory()) throw new CliError(`${what} ${JSON.stringify(file)} is a directory; give a file name`);
  const probe = join(dir, `.lwganet-probe.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an error';
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code;
    throw new CliError(`Cannot write ${what} ${JSON.stringify(file)}: its directory does not accept new files (${why})`);
  }
  unlinkSync(probe);
}
