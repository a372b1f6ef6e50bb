import { statSync } from 'node:fs';
import { sessionEventTypes } from '../src/events/schemas.js';
import { createApp } from '../src/http/app.js';
import { sessionsProjection } from '../src/projections/sessions-projection.js';
import { openDatabase } from '../src/stores/sqlite/database.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { SqliteProjections } from '../src/stores/sqlite/projections.js';
import { SqliteEventReader } from '../src/stores/sqlite/reader.js';
import type { BenchConfig } from './config.js';
import { progress, type ReportLine } from './report.js';
import { summarize } from './stats.js';

/** The log to read (big-log.ts's BigLog fits). */
export interface AsOfLog {
  file: string;
  events: number;
}

/** The asOf target (README, Performance): in the middle of a 1,000,000-event log. */
const TARGET_MS = 100;
const SNAPSHOT_EVERY = 1000;

/**
 * `GET /api/sessions?asOf=P` in the middle of the big log: with the projection snapshots, and
 * without them (the plain fold from position 0) as the baseline, as the median of several
 * runs. P is the worst case for the snapshots: the last position before the next snapshot, so
 * that a full interval of events is folded on top of the nearest one. Also the snapshots'
 * size beside the file's, and the time to write any the log is still owed.
 */
export async function asOfSuite(log: AsOfLog, config: BenchConfig): Promise<ReportLine[]> {
  const middle = Math.floor(log.events / 2);
  const position = Math.min(
    log.events,
    Math.floor(middle / SNAPSHOT_EVERY) * SNAPSHOT_EVERY + SNAPSHOT_EVERY - 1,
  );
  const at = position.toLocaleString('en-US');
  const runs = config.quick ? 3 : 7;

  progress('writing the snapshots the big log is owed');
  const opened = openSessionlog({ db: log.file, snapshotEvery: SNAPSHOT_EVERY });
  const caughtUp = time(() => opened.projections.catchUpSnapshots());
  const stats = opened.projections.snapshotStats(sessionsProjection.name);
  const app = createApp({
    log: opened,
    policy: { allowedOrigins: [], boundHost: '127.0.0.1' },
    roots: [],
    createRate: 0,
  });
  progress(`GET /api/sessions?asOf=${position} ×${runs}`);
  const http: number[] = [];
  let answered = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const response = await app.request(`/api/sessions?asOf=${position}`);
    const body = (await response.json()) as { sessions: unknown[] };
    http.push(performance.now() - started);
    answered = body.sessions.length;
  }
  await opened.close();

  // The projections alone, on a read-only connection: with snapshots, and without (baseline).
  const db = openDatabase(log.file, { readonly: true });
  const reader = new SqliteEventReader(db, sessionEventTypes);
  const list = (every: number) => {
    const projections = new SqliteProjections(db, reader, [sessionsProjection], {
      snapshotEvery: every,
    });
    return () => projections.asOf(sessionsProjection, position, (table) => table.list());
  };
  const withSnapshots = list(SNAPSHOT_EVERY);
  const plainFold = list(0);
  if (JSON.stringify(withSnapshots()) !== JSON.stringify(plainFold())) {
    throw new Error(`asOf(${position}) from the snapshots differs from the plain fold`);
  }
  progress(`asOf(${position}) with snapshots ×${runs}, without ×${config.quick ? 2 : 3}`);
  const fast = Array.from({ length: runs }, () => time(withSnapshots).ms);
  const slow = Array.from({ length: config.quick ? 2 : 3 }, () => time(plainFold).ms);
  db.close();

  const fast50 = summarize(fast).median;
  const slow50 = summarize(slow).median;
  const fileBytes = ['', '-wal'].reduce((sum, suffix) => sum + size(`${log.file}${suffix}`), 0);
  return [
    {
      kind: 'section',
      title: `asOf (${log.events.toLocaleString('en-US')} events, a snapshot every ${SNAPSHOT_EVERY}; P = ${at}, ${answered} sessions)`,
    },
    {
      kind: 'figure',
      name: `GET /api/sessions?asOf=${at}`,
      summary: summarize(http),
      unit: 'ms',
      target: TARGET_MS,
      ceiling: true,
    },
    {
      kind: 'figure',
      name: 'asOf + list, from the nearest snapshot',
      summary: summarize(fast),
      unit: 'ms',
      target: TARGET_MS,
      ceiling: true,
    },
    {
      kind: 'figure',
      name: 'asOf + list, plain fold from 0 (baseline)',
      summary: summarize(slow),
      unit: 'ms',
    },
    { kind: 'ratio', name: 'baseline / with snapshots', ratio: slow50 / fast50 },
    {
      kind: 'note',
      text: `snapshots: ${stats.count} (${stats.fulls} full) holding ${stats.rows.toLocaleString('en-US')} rows in ${mib(stats.bytes)}, ${((100 * stats.bytes) / fileBytes).toFixed(2)}% of the ${mib(fileBytes)} file; ${caughtUp.result} owed at open, written in ${caughtUp.ms.toFixed(0)} ms`,
    },
  ];
}

function time<T>(work: () => T): { result: T; ms: number } {
  const started = performance.now();
  const result = work();
  return { result, ms: performance.now() - started };
}

function size(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
