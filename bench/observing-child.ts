/**
 * A child process holding three sessionlog servers (bench-server.ts: as `serve` runs them,
 * durable appends, file watching as by default), each on its own log file in `dir` named
 * `<prefix>-<server>.db`: `observed` logs a JSON line per request at info into a file and
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
import { benchServer } from './bench-server.js';
import { OBSERVING_SERVERS, type ServerMessage, serveStats, tell } from './child-stats.js';

const [dir, prefix] = process.argv.slice(2);
if (dir === undefined || prefix === undefined) {
  throw new Error('usage: observing-child.ts <dir> <prefix>');
}
const servers: Awaited<ReturnType<typeof benchServer>>[] = [];
for (const name of OBSERVING_SERVERS) {
  const db = join(dir, `${prefix}-${name}.db`);
  servers.push(
    await benchServer({ db, durability: 'full', watch: true, observed: name === 'observed' }),
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
