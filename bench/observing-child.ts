/**
 * A child process holding three sessionlog servers, each on its own log file in `dir` (named
 * `<prefix>-<server>.db`), as
 * `serve` runs them (loopback, no token, no limit on session creation, durable appends, file
 * watching as by default): `observed` logs a JSON line per request at info into a file and
 * collects metrics, as `serve` does; `unobserved` and `twin` log nothing and collect no
 * metrics. The bench loads one at a time, so the process's CPU over a round is that server's.
 *
 * One process, not three: a process's own luck (where its code and heap landed, what the JIT
 * made of it) moved a three-process comparison by several per cent from one run to the next,
 * as much as what it measures; servers that share a process share that luck.
 *
 *   node --import tsx bench/observing-child.ts <dir> <prefix>
 */

import { join } from 'node:path';
import { createLogger, logDestination } from '../src/observe/logger.js';
import { runServer } from '../src/server.js';
import { OBSERVING_SERVERS, type ServerMessage, serveStats, tell } from './child-stats.js';

const [dir, prefix] = process.argv.slice(2);
if (dir === undefined || prefix === undefined) {
  throw new Error('usage: observing-child.ts <dir> <prefix>');
}
const servers: Awaited<ReturnType<typeof runServer>>[] = [];
for (const name of OBSERVING_SERVERS) {
  const observed = name === 'observed';
  const db = join(dir, `${prefix}-${name}.db`);
  servers.push(
    await runServer({
      db,
      host: '127.0.0.1',
      port: 0,
      createRate: 0,
      durability: 'full',
      logger: observed
        ? createLogger({ destination: logDestination(`${db}.server.log`) })
        : createLogger({ level: 'silent' }),
      collectMetrics: observed,
    }),
  );
}
serveStats(async () => {
  await Promise.all(servers.map((server) => server.close()));
});
tell({
  type: 'ready',
  port: servers[0]?.port ?? 0,
  ports: servers.map((server) => server.port),
} satisfies ServerMessage);
