/**
 * `tsx bench/only.ts http fanout cpu cpu-post cpu-fanout pg replay sessions-read scale …`: some suites of `npm run bench`, by name, for working
 * on one figure without waiting for all of them.
 */
import { appendSuite } from './append-suite.js';
import { asOfSuite } from './as-of-suite.js';
import { auditorSuite } from './auditor-suite.js';
import { buildBigLog } from './big-log.js';
import { checkpointSuite } from './checkpoint-suite.js';
import { benchConfig } from './config.js';
import { cpuFanoutSuite, cpuPostSuite, cpuSuite } from './cpu-suite.js';
import { fanoutSuite } from './fanout-suite.js';
import { httpSuite } from './http-suite.js';
import { idleMemorySuite } from './idle-memory-suite.js';
import { pgSuite } from './pg-suite.js';
import { rebuildSuite } from './rebuild-suite.js';
import { replaySuite } from './replay-suite.js';
import { formatReport, type ReportLine } from './report.js';
import { scaleSuite } from './scale-suite.js';
import { sessionsReadSuite } from './sessions-read-suite.js';
import { withTempDir } from './temp-dir.js';
import { verifyCheckpointSuite } from './verify-checkpoint-suite.js';
import { watcherSuite } from './watcher-suite.js';

const config = benchConfig(process.env);
const wanted = new Set(process.argv.slice(2));
await withTempDir(async (dir) => {
  const lines: ReportLine[] = [];
  if (wanted.has('append')) lines.push(...(await appendSuite(dir, config)));
  if (wanted.has('http')) lines.push(...(await httpSuite(dir, config)));
  if (wanted.has('fanout')) lines.push(...(await fanoutSuite(dir, config)));
  if (wanted.has('cpu')) lines.push(...(await cpuSuite(dir, config)));
  else {
    if (wanted.has('cpu-post')) lines.push(...(await cpuPostSuite(dir, config)));
    if (wanted.has('cpu-fanout')) lines.push(...(await cpuFanoutSuite(dir, config)));
  }
  if (wanted.has('memory')) lines.push(...(await idleMemorySuite(dir, config)));
  if (wanted.has('watcher')) lines.push(...(await watcherSuite(dir, config)));
  if (wanted.has('pg')) lines.push(...(await pgSuite(dir, config)));
  if (wanted.has('sessions-read')) lines.push(...(await sessionsReadSuite(dir, config)));
  if (wanted.has('scale')) lines.push(...(await scaleSuite(dir, config)));
  const bigLog = ['rebuild', 'replay', 'as-of', 'checkpoint', 'verify-checkpoint', 'auditor'];
  if (bigLog.some((name) => wanted.has(name))) {
    const log = await buildBigLog(dir, config);
    if (wanted.has('rebuild')) lines.push(...(await rebuildSuite(log, config)));
    if (wanted.has('replay')) lines.push(...(await replaySuite(log, config)));
    if (wanted.has('as-of')) lines.push(...(await asOfSuite(log, config)));
    if (wanted.has('checkpoint')) lines.push(...(await checkpointSuite(log, config)));
    if (wanted.has('verify-checkpoint')) {
      lines.push(...(await verifyCheckpointSuite(log, config)));
    }
    if (wanted.has('auditor')) lines.push(...(await auditorSuite(dir, log, config)));
  }
  console.log(formatReport(lines));
});
