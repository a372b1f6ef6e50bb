// The build, not the sources: server-build.ts says why.
import { createLogger, logDestination } from '../dist/observe/logger.js';
import { runServer } from '../dist/server.js';
import type { Durability } from '../src/events/store.js';

/**
 * sessionlog as `serve` runs it, from this checkout's build (`npm run build` first; default
 * security: loopback, no token) on `db`, with no limit on session creation, for a bench's
 * child process: observed as by default (a JSON line per request at info into a file beside
 * the log, prom-client metrics) or not at all (logger silent, no metrics collected: what the
 * cpu suite measures observing against).
 */
export function benchServer(options: {
  db: string;
  durability: Durability;
  /** File watching as `serve` has it, or off. */
  watch: boolean;
  observed: boolean;
}) {
  const { db, durability, watch, observed } = options;
  return runServer({
    db,
    host: '127.0.0.1',
    port: 0,
    // The bench is one client sending far more than the default 120 creations a minute.
    createRate: 0,
    durability,
    // 0 turns watching off; undefined keeps serve's default.
    ...(watch ? {} : { maxWatchers: 0 }),
    // Logged as serve logs (a JSON line per request, written asynchronously), into a file
    // beside the log rather than into the bench's output.
    logger: observed
      ? createLogger({ destination: logDestination(`${db}.server.log`) })
      : createLogger({ level: 'silent' }),
    collectMetrics: observed,
  });
}
