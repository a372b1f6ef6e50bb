/**
 * `npx tsx bench/watcher.ts`: file watching on real directories in a temporary directory.
 *   1. A burst of 5,000 new files written by another process into a watched directory, three
 *      rounds: events/s recorded with the default rate cap (and how many it left out, in its
 *      summaries), and with the cap lifted (what the watcher and the log can take).
 *   2. CPU of the server at rest while 100 directories (100 files each) are watched, as % of
 *      one core over 10 s (process.cpuUsage).
 * BENCH_QUICK=1: small sizes, to check that it runs. Progress on stderr, the report on stdout.
 */
import { benchConfig } from './config.js';
import { formatReport } from './report.js';
import { withTempDir } from './temp-dir.js';
import { watcherSuite } from './watcher-suite.js';

const config = benchConfig(process.env);
await withTempDir(async (dir) => {
  const lines = await watcherSuite(dir, config);
  console.log(`sessionlog watcher bench, node ${process.version}\n\n${formatReport(lines)}`);
});
