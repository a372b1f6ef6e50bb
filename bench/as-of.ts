/**
 * `tsx bench/as-of.ts`: `GET /api/sessions?asOf=P` in the middle of a 1,000,000-event log
 * (10,000 sessions of 100 events, built through the store as the rebuild bench builds it),
 * with the projection snapshots and without them, in a temporary directory (deleted after).
 * BENCH_QUICK=1: a 20,000-event log, to check that it runs.
 */
import { join } from 'node:path';
import { asOfSuite } from './as-of-suite.js';
import { buildLog } from './build-log.js';
import { benchConfig } from './config.js';
import { formatReport, progress } from './report.js';
import { withTempDir } from './temp-dir.js';

const config = benchConfig(process.env);
await withTempDir(async (dir) => {
  const { logSessions: sessions, eventsPerSession, logAppendsInFlight: inFlight } = config;
  const file = join(dir, 'as-of.db');
  progress(`building a log of ${(sessions * eventsPerSession).toLocaleString('en-US')} events`);
  const built = await buildLog(file, { sessions, eventsPerSession, inFlight });
  progress(`built in ${(built.ms / 1000).toFixed(1)} s`);
  console.log(formatReport(await asOfSuite({ file, events: built.events }, config)));
});
