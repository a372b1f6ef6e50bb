import { join } from 'node:path';
import { buildLog } from './build-log.js';
import type { BenchConfig } from './config.js';
import { progress, type ReportLine } from './report.js';
import {
  type ServerChild,
  startBufferedTableChild,
  startSessionlogChild,
} from './server-children.js';
import { summarize } from './stats.js';

/** Whole-table reads per server: the dashboard's opens and resets (issue 15: 10 opens). */
const READS = 10;

/**
 * Server memory while `GET /api/sessions` (no limit) is read again and again on a table of
 * 100,000 sessions: sessionlog, which streams the table from one snapshot, beside the same
 * route as it was (the table built in memory, then stringified), on the same file.
 */
export async function sessionsReadSuite(dir: string, config: BenchConfig): Promise<ReportLine[]> {
  const sessions = config.quick ? 5000 : 100_000;
  const db = join(dir, 'sessions-read.db');
  progress(`sessions-read: building ${sessions.toLocaleString('en-US')} sessions`);
  await buildLog(db, { sessions, eventsPerSession: 1, inFlight: 64 });
  const lines: ReportLine[] = [
    {
      kind: 'section',
      title: `GET /api/sessions on ${sessions.toLocaleString('en-US')} sessions, read ${READS} times in a row`,
    },
  ];
  const runs: [string, () => Promise<ServerChild>][] = [
    [
      'streamed (sessionlog)',
      () => startSessionlogChild({ db, durability: 'normal', watch: false, exposeGc: true }),
    ],
    ['built in memory (before)', () => startBufferedTableChild(db)],
  ];
  for (const [name, start] of runs) {
    progress(`sessions-read: ${name}`);
    const server = await start();
    try {
      const before = await server.stats(true);
      let peak = before.rss;
      let bytes = 0;
      const ms: number[] = [];
      for (let i = 0; i < READS; i++) {
        const started = performance.now();
        const response = await fetch(`${server.url}/api/sessions`);
        bytes = (await response.arrayBuffer()).byteLength;
        ms.push(performance.now() - started);
        peak = Math.max(peak, (await server.stats()).rss);
      }
      const after = await server.stats();
      const collected = await server.stats(true);
      lines.push(
        { kind: 'figure', name: `${name}: time per read`, summary: summarize(ms), unit: 'ms' },
        {
          kind: 'figure',
          name: `${name}: RSS after ${READS} reads ÷ RSS at start`,
          summary: summarize([after.rss / before.rss]),
          unit: '×',
          target: 1.5,
          ceiling: true,
        },
        {
          kind: 'note',
          text: `${name}: ${mib(bytes)} MiB per answer; server RSS ${mib(before.rss)} MiB at start, ${mib(peak)} MiB at most, ${mib(after.rss)} MiB after, ${mib(collected.rss)} MiB after a full GC`,
        },
      );
    } finally {
      await server.stop();
    }
  }
  return lines;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
