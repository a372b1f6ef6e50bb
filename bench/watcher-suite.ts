import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RunningServer, runServer } from '../src/server.js';
import type { WatchOptions } from '../src/watcher/watch-options.js';
import type { BenchConfig } from './config.js';
import { progress, type ReportLine } from './report.js';
import { summarize } from './stats.js';
import { removeDatabase } from './temp-dir.js';

interface WatcherSizes {
  burstFiles: number;
  burstRounds: number;
  idleDirectories: number;
  /** Files in each idle directory, spread over ten subdirectories. */
  idleFiles: number;
  idleMs: number;
}

const sizes = (quick: boolean): WatcherSizes =>
  quick
    ? { burstFiles: 1000, burstRounds: 1, idleDirectories: 20, idleFiles: 50, idleMs: 2000 }
    : { burstFiles: 5000, burstRounds: 3, idleDirectories: 100, idleFiles: 100, idleMs: 10_000 };

// Another process writes the files, as a build would: the server's event loop is its own.
const WRITER = `const [dir, n] = process.argv.slice(1);
for (let i = 0; i < Number(n); i++) require('node:fs').writeFileSync(dir + '/f' + i + '.txt', '');`;

async function serve(dir: string, watch: Partial<WatchOptions>): Promise<RunningServer> {
  const db = join(dir, 'watcher-bench.db');
  removeDatabase(db);
  return runServer({ db, port: 0, createRate: 0, watch });
}

/** A session in `cwd`, started as a client would, and watched. */
async function session(server: RunningServer, cwd: string): Promise<string> {
  const answer = await fetch(`${server.url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ cwd }),
  });
  const { session } = (await answer.json()) as { session: { id: string } };
  if (!(await server.watching.ready(session.id))) throw new Error('the session is not watched');
  return session.id;
}

/**
 * One burst: `files` new files written by another process into a watched directory; waits
 * until each is either recorded or counted in a rate-cap summary. Recorded events/s are over
 * the time from the first write to the last event recorded.
 */
async function burst(dir: string, files: number, watch: Partial<WatchOptions>) {
  const server = await serve(dir, watch);
  try {
    const cwd = join(dir, `burst-${Date.now()}`);
    mkdirSync(cwd);
    await session(server, realpathSync(cwd));
    let recorded = 0;
    let capped = 0;
    let lastAt = 0;
    const done = new Promise<void>((resolve) => {
      server.log.store.subscribe((events) => {
        for (const event of events) {
          if (event.type === 'FileChanged') recorded++;
          if (event.type === 'WatchFailed') {
            capped += Number(/: (\d+) changes? not recorded/.exec(event.data.error)?.[1] ?? 0);
          }
          lastAt = performance.now();
        }
        if (recorded + capped >= files) resolve();
      });
    });
    const started = performance.now();
    const writer = spawn(process.execPath, ['-e', WRITER, cwd, String(files)]);
    await once(writer, 'exit');
    const timeout = sleep(120_000).then(() => {
      throw new Error(`burst: ${recorded} recorded + ${capped} capped of ${files} after 120 s`);
    });
    await Promise.race([done, timeout]);
    return { rate: recorded / ((lastAt - started) / 1000), recorded, capped };
  } finally {
    await server.close();
  }
}

/** CPU of the server process while `directories` sessions are watched and nothing changes. */
async function idleCpu(dir: string, s: WatcherSizes) {
  const server = await serve(dir, {});
  try {
    for (let d = 0; d < s.idleDirectories; d++) {
      const cwd = join(dir, `idle-${d}`);
      for (let f = 0; f < s.idleFiles; f++) {
        mkdirSync(join(cwd, `sub-${f % 10}`), { recursive: true });
        writeFileSync(join(cwd, `sub-${f % 10}`, `f${f}.txt`), '');
      }
      await session(server, realpathSync(cwd));
    }
    await sleep(1000); // let the scans' garbage settle before measuring
    const before = process.cpuUsage();
    const startedAt = performance.now();
    await sleep(s.idleMs);
    const used = process.cpuUsage(before);
    const share = (used.user + used.system) / 1000 / (performance.now() - startedAt);
    return { percent: share * 100, rssMiB: process.memoryUsage().rss / 2 ** 20 };
  } finally {
    await server.close();
  }
}

/** File watching: events/s recorded during a burst (with and without the cap), CPU at rest. */
export async function watcherSuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  const s = sizes(config.quick);
  const capped: Awaited<ReturnType<typeof burst>>[] = [];
  const open: Awaited<ReturnType<typeof burst>>[] = [];
  for (let round = 1; round <= s.burstRounds; round++) {
    progress(`watcher: burst of ${s.burstFiles} files, round ${round}/${s.burstRounds}`);
    capped.push(await burst(dir, s.burstFiles, {}));
    open.push(await burst(dir, s.burstFiles, { ratePerSecond: 1_000_000 }));
  }
  progress(`watcher: ${s.idleDirectories} watched directories at rest for ${s.idleMs} ms`);
  const idle = await idleCpu(dir, s);
  const entries = s.idleDirectories * (s.idleFiles + 11);
  return [
    { kind: 'section', title: `File watching (bursts of ${s.burstFiles} new files)` },
    {
      kind: 'figure',
      name: 'burst, rate cap 100/s: recorded',
      summary: summarize(capped.map((b) => b.rate)),
      unit: 'events/s',
    },
    {
      kind: 'note',
      text: `recorded ${capped.map((b) => b.recorded).join(', ')}; capped, in summaries: ${capped.map((b) => b.capped).join(', ')}`,
    },
    {
      kind: 'figure',
      name: 'burst, no rate cap: recorded',
      summary: summarize(open.map((b) => b.rate)),
      unit: 'events/s',
    },
    { kind: 'section', title: `File watching at rest (${s.idleDirectories} directories)` },
    {
      kind: 'figure',
      name: `CPU over ${s.idleMs / 1000} s idle`,
      summary: summarize([idle.percent]),
      unit: '% of one core',
    },
    {
      kind: 'note',
      text: `${entries.toLocaleString('en-US')} entries watched; server RSS ${idle.rssMiB.toFixed(0)} MiB`,
    },
  ];
}
