// Permission errors cannot be provoked as root (root reads and writes anywhere), so under root
// those tests run their child process as nobody. nobody must then reach the package: a checkout
// below a directory of mode 0700 (root's home, a mktemp -d) is out of its reach, and the tests
// are skipped with that reason instead of failing on "Cannot find module".
import { spawnSync } from 'node:child_process';

const root = process.getuid?.() === 0;

/** The spawn options that run a child as nobody under root (none otherwise). */
export const AS_NOBODY: { uid?: number; gid?: number } = root ? { uid: 65534, gid: 65534 } : {};

/** Why a child run as nobody cannot read `file`, or null when it can (or when not root). */
export function nobodyCannotRead(file: string): string | null {
  if (!root) return null;
  const probe = spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(file)}, require('node:fs').constants.R_OK)`], {
    ...AS_NOBODY,
    cwd: '/',
  });
  return probe.status === 0 ? null : `running as root and user nobody cannot read ${file} (a parent directory of mode 0700?), so no permission error can be provoked`;
}
