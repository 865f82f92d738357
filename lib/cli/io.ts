/**
 * The CLI's connection to the outside world, injectable so main() can be driven in-process
 * (tests) as well as from bin.ts (real streams).
 */

export interface CliIO {
  /** Results (the only thing written to stdout, so `--json` output can be piped). */
  out(text: string): void;
  /** Notes, warnings, progress and errors. */
  err(text: string): void;
  /** The stream progress bars draw on (they draw only when it is a TTY). */
  progressStream: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export function processIO(): CliIO {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    progressStream: process.stderr,
    env: process.env,
  };
}
