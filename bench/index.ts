/**
 * `npm run bench`: how fast the log appends and rebuilds, against a raw better-sqlite3
 * baseline measured in the same run, on real files in a temporary directory (deleted after).
 *
 *   1. Single-event appends from 64 concurrent appenders, durability `full` and `normal`,
 *      through the store (and through the session commands), as events/s.
 *   2. The baseline: one INSERT per transaction in a plain loop, synchronous NORMAL and FULL,
 *      into an events table of the log's columns and constraints,
 *      and the ratios of the store to it, with their targets (README, Performance).
 *   3. A log of 1,000,000 events built through the store (once: big-log.ts), the rebuild of
 *      the sessions projection over it, and one WebSocket client replaying it from position
 *      0, as events/s, with their targets (README, Performance).
 *   4. POST /api/sessions under autocannon (50 connections, durable appends) against a bare
 *      Hono route that parses the same body, as req/s and their ratio.
 *   5. POST → delivery latency of SessionStarted on 1,000 WebSocket clients at 200
 *      creations/s (p50, p90, p99, max over all deliveries).
 *  5b. CPU (cpu-suite.ts): the server process's CPU time (all threads) per durable POST and per
 *      event delivered to one WebSocket client, with the bare Hono route beside it, and with
 *      logging and metrics on against off (issues 17 and 18), in interleaved rounds.
 *   6. The server's memory per idle WebSocket at 10,000 connections.
 *   7. PostgreSQL beside SQLite (pg-suite.ts): appends/s through the store, and POST → delivery
 *      latency on 100 WebSocket clients, across two nodes of one PostgreSQL log (POST to A,
 *      clients on B) as on one node. Skipped, saying why, when PostgreSQL is unreachable
 *      (SESSIONLOG_BENCH_PG, default postgres://postgres@127.0.0.1:5432/test).
 *   8. Server memory while GET /api/sessions reads a 100,000-session table ten times: streamed
 *      beside the table built in memory as before (sessions-read-suite.ts).
 *   9. verify with and without --checkpoint on the big log and on its export
 *      (verify-checkpoint-suite.ts), and the Merkle root of its hashes alone.
 *  10. GET /api/checkpoint and each proof on the big log (checkpoint-suite.ts).
 *  11. The auditor's commands on the big log (auditor-suite.ts), as child processes: verify,
 *      the export (events --db), and import of that export into a new file; and on
 *      PostgreSQL, import, export and verify. They run this checkout's build (npm run build
 *      first); BENCH_AUDITOR_CLI=path/to/bin/sessionlog.js times another build's CLI.
 *  12. Issue 15's targets on its big log (scale-suite.ts: 100,001 sessions, 1,090,001 events):
 *      the dashboard in Chromium (first sessions drawn, bytes, heap and DOM, the busy
 *      session's newest event, server RSS over 10 opens), the whole table plain and
 *      compressed, and a client back after missing 1,000,000 events (npm run build first).
 *
 * Servers and WebSocket crowds run in child processes (child-process.ts), so that neither
 * shares an event loop with the load generator or with each other. The servers run this
 * checkout's build, as users do (server-build.ts): npm run build first.
 *
 * Machines are noisy: append figures run in interleaved rounds (append-suite.ts) and the report
 * shows the median and min–max over the rounds, and ratios of the medians with their
 * per-round range. Progress goes to stderr, the report to stdout.
 *
 * BENCH_QUICK=1 npm run bench: much smaller sizes (short rounds, a 20,000-event log, 100 and
 * 1,000 clients), to check that the bench runs; its figures mean little.
 * BENCH_CPU_PROF=dir: the sessionlog server children write V8 CPU profiles into dir.
 */
import { cpus } from 'node:os';
import Database from 'better-sqlite3';
import { appendSuite } from './append-suite.js';
import { asOfSuite } from './as-of-suite.js';
import { auditorSuite } from './auditor-suite.js';
import { buildBigLog } from './big-log.js';
import { checkpointSuite } from './checkpoint-suite.js';
import { type BenchConfig, benchConfig } from './config.js';
import { cpuSuite } from './cpu-suite.js';
import { fanoutSuite } from './fanout-suite.js';
import { httpSuite } from './http-suite.js';
import { idleMemorySuite } from './idle-memory-suite.js';
import { pgSuite } from './pg-suite.js';
import { rebuildSuite } from './rebuild-suite.js';
import { replaySuite } from './replay-suite.js';
import { formatReport } from './report.js';
import { scaleSuite } from './scale-suite.js';
import { sessionsReadSuite } from './sessions-read-suite.js';
import { withTempDir } from './temp-dir.js';
import { verifyCheckpointSuite } from './verify-checkpoint-suite.js';
import { watcherSuite } from './watcher-suite.js';

function header(dir: string, config: BenchConfig): string {
  const db = new Database(':memory:');
  const sqlite = db.prepare('SELECT sqlite_version()').pluck().get() as string;
  db.close();
  const cpu = cpus();
  return [
    `sessionlog bench${config.quick ? ' (BENCH_QUICK: smoke-test sizes, figures mean little)' : ''}`,
    `node ${process.version}, SQLite ${sqlite}, ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}`,
    `files in ${dir}; ${config.rounds} rounds of ${config.roundMs} ms per append figure`,
  ].join('\n');
}

const config = benchConfig(process.env);
const started = performance.now();
await withTempDir(async (dir) => {
  const lines = [
    ...(await appendSuite(dir, config)),
    ...(await httpSuite(dir, config)),
    ...(await fanoutSuite(dir, config)),
    ...(await cpuSuite(dir, config)),
    ...(await idleMemorySuite(dir, config)),
    ...(await watcherSuite(dir, config)),
    ...(await pgSuite(dir, config)),
    ...(await sessionsReadSuite(dir, config)),
  ];
  // Built once for both: the rebuild and the replay only read it.
  const log = await buildBigLog(dir, config);
  lines.push(
    ...(await rebuildSuite(log, config)),
    ...(await replaySuite(log, config)),
    ...(await asOfSuite(log, config)),
    ...(await verifyCheckpointSuite(log, config)),
    ...(await checkpointSuite(log, config)),
    ...(await auditorSuite(dir, log, config)),
    ...(await scaleSuite(dir, config)),
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`${header(dir, config)}\n\n${formatReport(lines)}\n\nbench took ${seconds} s`);
});
