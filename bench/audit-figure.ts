import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../src/cli/main.js';
import type { RunningServer } from '../src/server.js';
import type { ReportLine } from './report.js';
import { progress } from './report.js';
import { summarize } from './stats.js';

/** Audits timed, each after this many more events: the growth the figure is about. */
const GROWTH = 1_000;
const ROUNDS = 7;
const STREAM = 'session-audit-bench';

/**
 * `sessionlog audit` of a server whose log grew by 1,000 events since the saved checkpoint,
 * timed as a function call in this process (main(['audit', …]): the checkpoint, the proof,
 * their checks and the state file's durable write, over a real socket) and, for scale, as a
 * child process (Node's start included). It appends to the log: run it after what reads it.
 */
export async function auditFigure(server: RunningServer, dir: string): Promise<ReportLine[]> {
  const state = join(dir, 'audit-bench.json');
  const args = ['audit', '--url', server.url, '--state', state];
  const quiet = { log: () => {}, error: (line: string) => progress(line) };
  const run = async () => {
    const code = await main(args, quiet);
    if (code !== 0) throw new Error(`sessionlog audit exited ${code}`);
  };
  await run(); // the first run pins the key and the checkpoint
  const head = await server.log.store.head();
  progress(
    `timing sessionlog audit after ${GROWTH} more events, from ${head.toLocaleString('en-US')}`,
  );
  const inProcess: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    await grow(server);
    const started = performance.now();
    await run();
    inProcess.push(performance.now() - started);
  }
  const lines: ReportLine[] = [
    {
      kind: 'figure',
      name: `audit after +${GROWTH} events (in-process call)`,
      summary: summarize(inProcess),
      unit: 'ms',
      target: 100,
      ceiling: true,
    },
  ];
  if (existsSync('dist/cli/main.js')) {
    const child: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      await grow(server);
      const started = performance.now();
      await promisify(execFile)(process.execPath, ['bin/sessionlog.js', ...args]);
      child.push(performance.now() - started);
    }
    lines.push({
      kind: 'figure',
      name: `audit after +${GROWTH} events (child process)`,
      summary: summarize(child),
      unit: 'ms',
    });
  } else {
    lines.push({ kind: 'note', text: 'audit as a child process not timed: dist/ is not built' });
  }
  return lines;
}

async function grow(server: RunningServer): Promise<void> {
  const { store } = server.log;
  if ((await store.readStream(STREAM, { limit: 1 })).length === 0) {
    await store.append(STREAM, [
      { type: 'SessionStarted', data: { cwd: '/tmp', hostname: 'h', platform: 'linux' } },
    ]);
  }
  const change = {
    type: 'FileChanged' as const,
    data: { change: 'modified' as const, path: 'a.txt', kind: 'file' as const },
  };
  for (let left = GROWTH; left > 0; left -= 250) {
    await store.append(
      STREAM,
      Array.from({ length: Math.min(250, left) }, () => change),
    );
  }
}
