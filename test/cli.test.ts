/**
 * The `lwganet` CLI end to end, spawned as a process (dist/cli/bin.js; npm test builds it first).
 * Exit codes: 0 ok, 1 expected failure, 2 usage error, 70 internal error (lib/cli/report-error.ts).
 */

import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, pattern, tempDir, writeFixture } from './helpers/image-fixtures.js';
import { ROOT } from './helpers/image-python.js';
import { hasStack, requireBuiltCli, runCli } from './helpers/cli-run.js';
import { main } from '../lib/cli/main.js';
import { describeFailure } from '../lib/cli/report-error.js';
import { CliError } from '../lib/cli/cli-error.js';
import { asUsageError, flagOf } from '../lib/cli/flags.js';
import { optionError } from '../lib/options.js';
import { LwganetError } from '../lib/errors.js';
import type { CliIO } from '../lib/cli/io.js';

const tmp = tempDir('lwganet-cli-');
afterAll(tmp.cleanup);
beforeAll(requireBuiltCli);

describe('main() in-process and the error reporter', () => {
  function io(): CliIO & { stdout: string; stderr: string } {
    const sink = { stdout: '', stderr: '', env: {}, progressStream: process.stderr } as unknown as CliIO & { stdout: string; stderr: string };
    sink.out = (t) => void (sink.stdout += t);
    sink.err = (t) => void (sink.stderr += t);
    return sink;
  }

  it('writes through the given IO and surfaces commander exits as errors for the reporter', async () => {
    const sink = io();
    const error = await main(['node', 'lwganet', '--version'], sink).catch((e: unknown) => e);
    expect(sink.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(describeFailure(error)).toEqual({ exitCode: 0, text: '' });
    const usage = await main(['node', 'lwganet', 'classify', 'a.png'], io()).catch((e: unknown) => e);
    expect(describeFailure(usage).exitCode).toBe(2);
  });

  it('prints expected errors as one line and bugs with their stack (exit 70)', () => {
    expect(describeFailure(new LwganetError('IMAGE_DECODE', 'bad image'))).toEqual({ exitCode: 1, text: 'lwganet: bad image [IMAGE_DECODE]\n' });
    expect(describeFailure(new CliError('python exited', 3))).toEqual({ exitCode: 3, text: 'lwganet: python exited\n' });
    const bug = describeFailure(new TypeError('x is undefined'));
    expect(bug.exitCode).toBe(70);
    expect(bug.text).toMatch(/internal error[\s\S]*TypeError: x is undefined\n\s+at /);
  });
});

describe('progress bar', () => {
  it('draws on a TTY stream from PROGRESS_MIN_ITEMS items, and not for fewer or when disabled', async () => {
    const { PassThrough } = await import('node:stream');
    const { startProgress, PROGRESS_MIN_ITEMS } = await import('../lib/cli/progress.js');
    const draw = (items: number, enabled: boolean) => {
      const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
      let text = '';
      stream.on('data', (c: Buffer) => (text += c.toString()));
      const bar = startProgress(stream, items, 'images', enabled);
      bar.update(items);
      bar.stop();
      return text;
    };
    expect(draw(PROGRESS_MIN_ITEMS, true)).toMatch(new RegExp(`${PROGRESS_MIN_ITEMS}/${PROGRESS_MIN_ITEMS} images`));
    expect(draw(PROGRESS_MIN_ITEMS - 1, true)).toBe('');
    expect(draw(50, false)).toBe('');
  });
});

describe('lwganet: usage', () => {
  it('prints help and the version with exit code 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['classify', 'info', 'export', 'weights']) expect(help.stdout).toContain(command);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    const classifyHelp = await runCli(['classify', '--help']);
    expect(classifyHelp.code).toBe(0);
    expect(classifyHelp.stdout).toMatch(/--model <file>[\s\S]*-k, --top-k <k>[\s\S]*--json/);
    // The older flags keep working but are not advertised.
    expect(classifyHelp.stdout).not.toMatch(/--top </);
  });

  it('derives each command\'s flags from the API option names (kebab-case)', async () => {
    expect(flagOf('topK')).toBe('--top-k');
    expect(flagOf('scoreThreshold')).toBe('--score-threshold');
    expect(flagOf('tileSize')).toBe('--tile-size');
    expect(flagOf('threads')).toBe('--threads');
    const help = async (command: string) => (await runCli([command, '--help'])).stdout;
    expect(await help('classify')).toMatch(/-b, --batch-size <n>[\s\S]*--value-range <min,max>[\s\S]*--threads <n>/);
    for (const command of ['segment', 'change']) expect(await help(command)).toMatch(/-t, --tile-size <n>[\s\S]*--overlap <n>[\s\S]*--batch-size <n>[\s\S]*--threads <n>/);
    expect(await help('detect')).toMatch(/-s, --score-threshold <t>[\s\S]*--iou-threshold <t>[\s\S]*-t, --tile-size <n>[\s\S]*--threads <n>/);
    expect(await help('batch')).toMatch(/-t, --tile-size <n>[\s\S]*--top-k <k>[\s\S]*--score-threshold <p>/);
  });

  it('restates a library option error in flag names, and leaves other errors alone', () => {
    const fromApi = asUsageError(optionError('tileSize', 'a multiple of 32', 500, 'range'));
    expect(fromApi).toBeInstanceOf(CliError);
    expect((fromApi as CliError).exitCode).toBe(2);
    expect((fromApi as CliError).message).toBe('Expected a multiple of 32 for --tile-size but received 500');
    const plain = new RangeError('Expected a thing for tileSize but received 1');
    expect(asUsageError(plain)).toBe(plain);
  });

  it.each([
    ['no command', [], /Usage: lwganet/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['classify without --model', ['classify', 'a.png'], /required option '-m, --model <file>' not specified/],
    ['classify without images', ['classify', '--model', 'm.pt'], /missing required argument 'images'/],
    ['--top 0', ['classify', 'a.png', '--model', 'm.pt', '--top', '0'], /--top <k>' argument '0' is invalid\. must be a positive integer/],
    ['--top abc', ['classify', 'a.png', '--model', 'm.pt', '--top', 'abc'], /must be a positive integer/],
    ['--top-k 0', ['classify', 'a.png', '--model', 'm.pt', '--top-k', '0'], /'-k, --top-k <k>' argument '0' is invalid\. must be a positive integer/],
    ['--threads 0', ['classify', 'a.png', '--model', 'm.pt', '--threads', '0'], /'--threads <n>' argument '0' is invalid/],
    ['--value-range 5,1', ['classify', 'a.png', '--model', 'm.pt', '--value-range', '5,1'], /must be MIN,MAX with MIN < MAX/],
    ['an unknown option', ['classify', 'a.png', '--model', 'm.pt', '--frob'], /unknown option '--frob'/],
    ['an unknown weights variant', ['weights', 'fetch', 'l9'], /Allowed choices are l0, l1, l2/],
    ['a --from that is not a URL', ['weights', 'fetch', 'l0', '--from', 'not a url'], /must be an http\(s\) URL/],
    ['a malformed --sha256', ['weights', 'fetch', 'l0', '--sha256', 'abc'], /64 hexadecimal digits/],
    ['info without a file', ['info'], /missing required argument 'file'/],
  ])('exits 2 on %s (EXPECTED FAILURE)', async (_name, args, message) => {
    const result = await runCli(args as string[]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(hasStack(result.stderr)).toBe(false);
  });
});

describe('lwganet: expected failures exit 1 with one message and no stack (EXPECTED FAILURE)', () => {
  it('names a missing model file', async () => {
    const result = await runCli(['classify', 'a.png', '--model', join(tmp.dir, 'missing.pt')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^lwganet: Model file ".*missing\.pt" does not exist .* \[MODEL_NOT_FOUND\]\n$/);
    const info = await runCli(['info', join(tmp.dir, 'missing.pt')]);
    expect([info.code, hasStack(info.stderr)]).toEqual([1, false]);
  });

  it('says when Python is missing, or has no torch', async () => {
    const missing = await runCli(['export', 'lwganet_l0', '--out', join(tmp.dir, 'x.pt')], { LWGANET_PYTHON: join(tmp.dir, 'no-such-python') });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Python \(.*no-such-python, from \$LWGANET_PYTHON\) was not found\. The exporter needs Python 3 with torch; run `npx lwganet setup`.* \[PYTHON_UNAVAILABLE\]/);
    // A stand-in interpreter whose import probe reports torch as missing.
    const fake = join(tmp.dir, 'python-without-torch');
    writeFileSync(fake, '#!/bin/sh\necho torch\n');
    chmodSync(fake, 0o755);
    const noTorch = await runCli(['export', 'lwganet_l0', '--out', join(tmp.dir, 'x.pt')], { LWGANET_PYTHON: fake });
    expect(noTorch.code).toBe(1);
    expect(noTorch.stderr).toMatch(/has no torch module, which the exporter needs.* \[TORCH_UNAVAILABLE\]/);
    expect(hasStack(noTorch.stderr)).toBe(false);
  });
});

describe('lwganet with a real model (needs the Python exporter and the addon)', () => {
  let model = '';
  let images: string[] = [];
  beforeAll(async () => {
    const exported = await runCli(['export', 'lwganet_l0', '--labels', 'nwpu-resisc45', '--out', join(tmp.dir, 'cli-model.pt')]);
    expect(exported.code, exported.stderr).toBe(0);
    model = join(tmp.dir, 'cli-model.pt');
    expect(existsSync(model)).toBe(true);
    images = [];
    for (let i = 0; i < 5; i++) images.push(writeFixture(tmp.dir, `scene-${i}.png`, await encode(pattern(64 + i, 48, 3, i), 64 + i, 48, 3, 'png')));
  }, 300_000);

  it('classify --json prints one entry per image with sorted predictions, and notes seeded weights on stderr', async () => {
    const result = await runCli(['classify', ...images, '--model', model, '--top', '3', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.model).toMatchObject({ file: model, name: 'lwganet_l0', variant: 'l0', labelSet: 'nwpu-resisc45', device: 'cpu', weights: { source: 'random-init' } });
    expect(report.results.map((r: { image: string }) => r.image)).toEqual(images);
    for (const { predictions } of report.results) {
      expect(predictions).toHaveLength(3);
      for (const p of predictions) expect(Object.keys(p).sort()).toEqual(['index', 'label', 'score']);
      expect(predictions[0].score).toBeGreaterThanOrEqual(predictions[1].score);
      expect(predictions[1].score).toBeGreaterThanOrEqual(predictions[2].score);
    }
    expect(result.stderr).toMatch(/note: lwganet_l0 has seeded random weights \(seed \d+\)/);
    // stderr is not a TTY here, so no progress bar is drawn into it.
    expect(result.stderr).not.toMatch(/[█░]|ETA/);
  });

  it('classify prints a readable ranking per image', async () => {
    const result = await runCli(['classify', images[0], '--model', model, '--top-k', '2', '--threads', '1']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${images[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n   1\\. \\S+ +0\\.\\d{4}  \\(class \\d+\\)\\n   2\\. `));
  });

  it('info shows metadata, LibTorch and devices (text and --json)', async () => {
    const text = await runCli(['info', model]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/task +classification/);
    expect(text.stdout).toMatch(/labels +45 \(nwpu-resisc45\)/);
    expect(text.stdout).toMatch(/libtorch +\d+\.\d+/);
    const json = JSON.parse((await runCli(['info', model, '--json'])).stdout);
    expect(json.metadata.task).toBe('classification');
    expect(json.libtorch).toHaveProperty('libtorchVersion');
    expect(json.libtorch).toHaveProperty('cudaDeviceCount');
    expect(json).toHaveProperty('parameters');
  });

  it('exits 1 for an undecodable image, a model of another task and a corrupt model (EXPECTED FAILURE)', async () => {
    const bad = writeFixture(tmp.dir, 'bad.png', Buffer.from('not an image'));
    const result = await runCli(['classify', bad, '--model', model]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.png" could not be decoded.*\[IMAGE_DECODE\]/);
    expect(hasStack(result.stderr)).toBe(false);
    const features = join(tmp.dir, 'features.pt');
    expect((await runCli(['export', 'lwganet_l0', '--features', '--out', features])).code).toBe(0);
    const mismatch = await runCli(['classify', images[0], '--model', features]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/^lwganet: This is a features model \(lwganet_l0\); a classification model is needed \[TASK_MISMATCH\]\n$/);
    const corrupt = writeFixture(tmp.dir, 'corrupt.pt', pattern(1000, 1, 1));
    const broken = await runCli(['classify', images[0], '--model', corrupt]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/\[MODEL_CORRUPT\]/);
    expect(hasStack(broken.stderr)).toBe(false);
  });
});
