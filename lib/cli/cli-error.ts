/** An expected CLI failure: reported as its message only, with its exit code. */

export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
    Object.defineProperty(this, 'name', { value: 'CliError', enumerable: false, configurable: true });
  }
}
