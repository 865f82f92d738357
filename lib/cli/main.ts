/**
 * The `lwganet` command line: a commander program built per call, so tests can run main()
 * in-process with their own IO. Errors propagate to the caller (bin.ts → reportError);
 * main() never calls process.exit.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { PACKAGE_ROOT } from '../package-root.js';
import { registerBatch } from './commands/batch.js';
import { BENCH_SCRIPT, registerBench } from './commands/bench.js';
import { registerChange } from './commands/change.js';
import { registerClassify } from './commands/classify.js';
import { registerDetect } from './commands/detect.js';
import { registerExport } from './commands/export.js';
import { registerInfo } from './commands/info.js';
import { registerPretrained } from './commands/pretrained.js';
import { registerSegment } from './commands/segment.js';
import { registerSetup } from './commands/setup.js';
import { registerWeights } from './commands/weights.js';
import { registerWorker } from './commands/worker.js';
import { processIO, type CliIO } from './io.js';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Builds the program; every command writes through `io`. */
export function buildProgram(io: CliIO): Command {
  const program = new Command('lwganet')
    .description('Run LWGANet remote-sensing models (LibTorch) from the command line')
    .version(packageVersion(), '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError('(run "lwganet --help" for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  registerClassify(program, io);
  registerSegment(program, io);
  registerChange(program, io);
  registerDetect(program, io);
  registerInfo(program, io);
  registerExport(program, io);
  registerSetup(program, io);
  registerPretrained(program, io);
  registerWeights(program, io);
  // The benchmark suite is part of the source checkout, not of the installed package.
  if (existsSync(BENCH_SCRIPT)) registerBench(program, io);
  registerBatch(program, io);
  registerWorker(program, io);
  // Subcommands inherit neither exitOverride nor output settings, so set them on each.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const command of all(program).slice(1)) command.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  return program;
}

/**
 * Runs the CLI.
 * @param argv process.argv style: [node, script, ...args]
 * @param io where output goes (default: the process's stdout/stderr/env)
 * @throws (rejects) whatever the command failed with; see report-error.ts for exit codes
 */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<void> {
  await buildProgram(io).parseAsync([...argv]);
}
