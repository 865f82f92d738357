/**
 * The one place a CLI failure becomes output and an exit code.
 * Exit codes: 0 success · 1 expected failure (bad image, missing model, missing Python, …)
 * · 2 usage error (unknown command/option, invalid option value) · 70 internal error (a bug:
 * printed with its stack so it can be reported).
 * Expected failures print one line without a stack; commander already printed its own usage
 * messages, so those only set the exit code.
 */

import { CommanderError } from 'commander';
import { LwganetError } from '../errors.js';
import { CliError } from './cli-error.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;

/** Exit code and text (empty when already printed) for an error that reached the top. */
export function describeFailure(error: unknown): { exitCode: number; text: string } {
  if (error instanceof CommanderError) {
    const shown = ['commander.helpDisplayed', 'commander.version'].includes(error.code);
    return { exitCode: shown ? EXIT_OK : EXIT_USAGE, text: '' };
  }
  if (error instanceof CliError) return { exitCode: error.exitCode, text: `lwganet: ${error.message}\n` };
  if (error instanceof LwganetError) {
    return { exitCode: EXIT_FAILURE, text: `lwganet: ${error.message} [${error.code}]\n` };
  }
  const io = error as NodeJS.ErrnoException;
  if (error instanceof Error && typeof io.code === 'string' && /^E[A-Z]+$/.test(io.code) && typeof io.syscall === 'string') {
    // The file system refused (permissions, full disk, read-only mount): the user's to fix, not a bug.
    return { exitCode: EXIT_FAILURE, text: `lwganet: ${error.message} [${io.code}]\n` };
  }
  const stack = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return { exitCode: EXIT_INTERNAL, text: `lwganet: internal error (please report it with the output below)\n${stack}\n` };
}

/** Prints the failure to stderr and sets process.exitCode. */
export function reportError(error: unknown, err: (text: string) => void = (t) => void process.stderr.write(t)): void {
  const { exitCode, text } = describeFailure(error);
  if (text) err(text);
  process.exitCode = exitCode;
}
