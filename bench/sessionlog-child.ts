/**
 * A child process: sessionlog as `serve` runs it (default security: loopback, no token), with
 * no limit on session creation, on the log file and durability given as arguments, with file
 * watching as by default or off, and observed as by default (a JSON line per request at info
 * into a file, prom-client metrics) or not at all (logger silent, no metrics collected: what
 * the cpu suite measures observing against). Tells the bench its port, then answers
 * `mark`/`stats` (child-stats.ts) until the bench disconnects.
 *
 *   node --import tsx bench/sessionlog-child.ts <db file> <full|normal> <watch|no-watch> [observed|unobserved]
 */

import type { Durability } from '../src/events/store.js';
import { createLogger, logDestination } from '../src/observe/logger.js';
import { runServer } from '../src/server.js';
import { type ServerMessage, serveStats, tell } from './child-stats.js';

const [db, durability, watch, observe = 'observed'] = process.argv.slice(2);
if (
  db === undefined ||
  !isDurability(durability) ||
  (watch !== 'watch' && watch !== 'no-watch') ||
  (observe !== 'observed' && observe !== 'unobserved')
) {
  throw new Error(
    'usage: sessionlog-child.ts <db file> <full|normal> <watch|no-watch> [observed|unobserved]',
  );
}
const observed = observe === 'observed';
const server = await runServer({
  db,
  host: '127.0.0.1',
  port: 0,
  // The bench is one client sending far more than the default 120 creations a minute.
  createRate: 0,
  durability,
  // 0 turns watching off; undefined keeps serve's default.
  ...(watch === 'no-watch' ? { maxWatchers: 0 } : {}),
  // Logged as serve logs (a JSON line per request, written asynchronously), into a file beside
  // the log rather than into the bench's output.
  logger: observed
    ? createLogger({ destination: logDestination(`${db}.server.log`) })
    : createLogger({ level: 'silent' }),
  collectMetrics: observed,
});
serveStats(() => server.close());
tell({ type: 'ready', port: server.port } satisfies ServerMessage);

function isDurability(value: string | undefined): value is Durability {
  return value === 'full' || value === 'normal';
}
