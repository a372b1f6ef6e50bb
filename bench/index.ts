/**
 * `npm run bench`: how fast the log appends and rebuilds, against a raw better-sqlite3
 * baseline measured in the same run, on real files in a temporary directory (deleted after).
 *
 *   1. Single-event appends from 64 concurrent appenders, durability `full` and `normal`,
 *      through the store (and through the session commands), as events/s.
 *   2. The baseline: one INSERT per transaction in a plain loop, synchronous NORMAL and FULL,
 *      into the events table (and, for reference, with the app's type index added),
 *      and the ratios of the store to it, with the targets.
 *   3. A log of 1,000,000 events built through the store, and the rebuild of the sessions
 *      projection over it, as events/s, with the target.
 *
 * Machines are noisy: append figures run in interleaved rounds (append-suite.ts) and the report
 * shows the median and min–max over the rounds, and ratios of the medians with their
 * per-round range. Progress goes to stderr, the report to stdout.
 *
 * BENCH_QUICK=1 npm run bench: much smaller sizes (short rounds, a 20,000-event log), to check
 * that the bench runs; its figures mean little.
 */
import { cpus } from 'node:os';
import Database from 'better-sqlite3';
import { appendSuite } from './append-suite.js';
import { type BenchConfig, benchConfig } from './config.js';
import { rebuildSuite } from './rebuild-suite.js';
import { formatReport } from './report.js';
import { withTempDir } from './temp-dir.js';

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
  const lines = [...(await appendSuite(dir, config)), ...(await rebuildSuite(dir, config))];
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`${header(dir, config)}\n\n${formatReport(lines)}\n\nbench took ${seconds} s`);
});
