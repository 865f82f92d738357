/**
 * Command-line flags derived from the API's option names, so the CLI and the API speak alike:
 * the flag of an option is its kebab-case (`topK` → `--top-k`, `tileSize` → `--tile-size`),
 * commander stores it under the API name, and an option error of the library is restated in
 * flag names (`for --tile-size`, not `for tileSize`).
 */

import { Option, type Command } from 'commander';
import { describeValue } from '../errors.js';
import { optionOf } from '../options.js';
import { CliError } from './cli-error.js';

/** The flag of an API option: `--` and its kebab-case. */
export function flagOf(apiName: string): string {
  return `--${apiName.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** One row of a command's option table. */
export interface ApiFlag {
  /** The API option the flag sets; its kebab-case is the flag, its name the key in the parsed flags. */
  api: string;
  /** Value placeholder such as '<n>'; none for a switch. */
  value?: string;
  description: string;
  parse?: (value: string) => unknown;
  default?: unknown;
  /** One-letter form, e.g. '-t'. */
  short?: string;
  /** Older long flags that keep working, hidden from --help (e.g. '--tile' for --tile-size). */
  aliases?: readonly string[];
}

/** Adds each row as a commander option (plus its hidden aliases) storing its value under the API name. */
export function addApiFlags(command: Command, table: readonly ApiFlag[]): Command {
  for (const row of table) {
    const value = row.value ? ` ${row.value}` : '';
    const option = new Option(`${row.short ? `${row.short}, ` : ''}${flagOf(row.api)}${value}`, row.description);
    if (row.parse) option.argParser(row.parse);
    if (row.default !== undefined) option.default(row.default);
    command.addOption(option);
    for (const alias of row.aliases ?? []) {
      const hidden = new Option(`${alias}${value}`).hideHelp();
      if (row.parse) hidden.argParser(row.parse);
      hidden.attributeName = () => row.api;
      command.addOption(hidden);
    }
  }
  return command;
}

/**
 * An option error of the library (a tile size the model's rule forbids, …) is a usage error of
 * the command line: restated with the flag's name, reported without a stack (exit code 2).
 */
export function asUsageError(error: unknown): unknown {
  const detail = optionOf(error);
  if (!detail) return error;
  return new CliError(`Expected ${detail.expected} for ${flagOf(detail.option)} but received ${describeValue(detail.actual)}`, 2);
}
