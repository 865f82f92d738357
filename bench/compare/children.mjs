// One runtime child of bench/compare.mjs: spawned with the runner arguments, spoken to over the
// line protocol of runner-loop.mjs. Each runtime lives in its own process so its peak RSS is its own.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export class RuntimeChild {
  #child;
  #replies = [];
  #waiting = [];
  #stderr = '';
  #exited = null;

  constructor(name, command, args, env) {
    this.name = name;
    this.commandLine = [command, ...args].join(' ');
    this.#child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.#child.stderr.on('data', (chunk) => { this.#stderr = (this.#stderr + chunk).slice(-4000); });
    this.#child.on('error', (err) => this.#fail(err.message));
    this.#child.on('exit', (code, signal) => this.#fail(`exited with ${signal ?? `code ${code}`}`));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      let reply;
      try {
        reply = JSON.parse(line);
      } catch {
        return; // a runtime's own chatter on stdout is not a reply
      }
      const waiter = this.#waiting.shift();
      if (waiter) waiter.resolve(reply);
      else this.#replies.push(reply);
    });
  }

  #fail(why) {
    this.#exited ??= why;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#error());
  }

  #error() {
    return new Error(`${this.name} (${this.commandLine}) ${this.#exited}${this.#stderr ? `:\n${this.#stderr.trim()}` : ''}`);
  }

  /** The next JSON reply; rejects with the child's stderr if it dies first. */
  next() {
    if (this.#replies.length) return Promise.resolve(this.#replies.shift());
    if (this.#exited) return Promise.reject(this.#error());
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  async request(line) {
    if (this.#exited) throw this.#error();
    this.#child.stdin.write(`${line}\n`);
    const reply = await this.next();
    if (reply.error) throw new Error(`${this.name}: ${reply.error}`);
    return reply;
  }

  /** Asks the child to finish; resolves to its final report (peak RSS, event-loop lag). */
  async quit() {
    const report = await this.request('quit');
    this.#child.stdin.end();
    return report;
  }

  kill() {
    if (!this.#exited) this.#child.kill('SIGKILL');
  }
}
