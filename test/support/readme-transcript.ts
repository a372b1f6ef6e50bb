import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './temp-dir.js';

/** A command of a README console block and the lines it prints. */
export interface Step {
  command: string;
  expected: string[];
}

const README = readFileSync('README.md', 'utf8');

/** The console block after the comment that starts with `marker`. */
export function transcript(marker: string): Step[] {
  const at = README.indexOf(`<!-- ${marker}`);
  if (at < 0) throw new Error(`README.md has no "${marker}" example`);
  const block = /```console\n([\s\S]*?)```/.exec(README.slice(at))?.[1] ?? '';
  const steps: Step[] = [];
  for (const line of block.trimEnd().split('\n')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: [] });
    else steps.at(-1)?.expected.push(line);
  }
  return steps;
}

/** Whether the printed lines are the README's (`…` matches anything within a line). */
export function matches(actual: string[], expected: string[]): boolean {
  const pattern = (line: string) =>
    new RegExp(
      `^${line
        .split('…')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
  return (
    actual.length === expected.length &&
    expected.every((line, i) => pattern(line).test(actual[i] ?? ''))
  );
}

/**
 * A README worked example, run as written: the server of the console block marked
 * `<!-- <test> runs this server`, then every command of the blocks marked `<!-- <test>: <block>`
 * (in the order of `blocks`) in one shell, each output compared with the README's (`…` matches
 * anything within a line). The README uses the default port 3001; the test runs on a free one,
 * in the commands and in the URLs an output names. Skipped, saying why, without one of `tools`.
 */
export function describeReadmeExample(
  title: string,
  test: string,
  tools: readonly string[],
  blocks: readonly string[] = ['session'],
) {
  const missing = tools.filter((tool) => {
    try {
      execFileSync('bash', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });

  describe.skipIf(missing.length > 0)(
    `${title}${missing.length > 0 ? ` (skipped: needs ${missing.join(', ')})` : ''}`,
    () => {
      const dir = useTempDir();

      it('runs as written, and prints what the README shows', async () => {
        const [server, ...rest] = transcript(`${test} runs this server`);
        expect(rest).toEqual([]);
        const session = blocks.flatMap((block) => transcript(`${test}: ${block}`));
        expect(session.length).toBeGreaterThan(3);
        // `sessionlog` on the PATH, as once installed.
        const bin = join(dir(), 'bin');
        mkdirSync(bin);
        writeFileSync(
          join(bin, 'sessionlog'),
          `#!/bin/sh\nexec "${process.execPath}" "${resolve('bin/sessionlog.js')}" "$@"\n`,
        );
        chmodSync(join(bin, 'sessionlog'), 0o755);
        const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, SESSIONLOG_TOKEN: '' };

        const serving = spawn('bash', ['-c', `exec ${server?.command} --port 0`], {
          cwd: dir(),
          env,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        try {
          const lines = createInterface({ input: serving.stdout })[Symbol.asyncIterator]();
          const announced = [(await lines.next()).value, (await lines.next()).value] as string[];
          const port = /:(\d+)\/$/.exec(announced[1] ?? '')?.[1] ?? '';
          const expectedServer = (server?.expected ?? []).map((l) => l.replace('3001', port));
          expect(matches(announced, expectedServer), `${announced.join('\n')}`).toBe(true);

          // One shell for the whole session (its variables carry over), a marker before each step.
          const script = session
            .map((step, i) => `echo '@@ ${i}'\n{ ${step.command.replaceAll('3001', port)}\n} 2>&1`)
            .join('\n');
          const { stdout } = await promisify(execFile)('bash', ['-c', script], { cwd: dir(), env });
          const outputs = stdout.split(/^@@ \d+\n/m).slice(1);
          session.forEach((step, i) => {
            const actual = (outputs[i] ?? '').split('\n').slice(0, -1);
            // An output may name the server's URL too.
            const expected = step.expected.map((l) =>
              l.replaceAll('127.0.0.1:3001', `127.0.0.1:${port}`),
            );
            expect(
              matches(actual, expected),
              `$ ${step.command}\nprinted:\n${actual.join('\n')}\nthe README shows:\n${step.expected.join('\n')}`,
            ).toBe(true);
          });
        } finally {
          serving.kill('SIGTERM');
          await once(serving, 'exit');
        }
      }, 60_000);
    },
  );
}
