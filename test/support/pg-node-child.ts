/**
 * A sessionlog node in a child process, for the tests that SIGKILL one: `runServer` on a
 * PostgreSQL log with file watching on and file-watching leases timed as given (`serve` has
 * no flags for them). Prints its URL on a line of its own; answers `{ type: 'ready', id }`
 * over IPC with whether this node watches the session's directory; SIGTERM closes it cleanly
 * (its leases given back), then it exits 0.
 *
 *   node --import tsx test/support/pg-node-child.ts <postgres url> <node name> <ttlMs> <renewMs>
 */
import { once } from 'node:events';
import { runServer } from '../../src/server.js';

export type NodeRequest = { type: 'ready'; id: string };
export type NodeAnswer = { type: 'ready'; id: string; watched: boolean };

const [db, node, ttl, renew] = process.argv.slice(2);
if (db === undefined || node === undefined || ttl === undefined || renew === undefined) {
  throw new Error('usage: pg-node-child.ts <postgres url> <node name> <ttlMs> <renewMs>');
}
const server = await runServer({
  db,
  port: 0,
  createRate: 0,
  maxWatchers: 256,
  postgres: { leases: { ttlMs: Number(ttl), renewMs: Number(renew), node } },
});
process.on('message', (message: NodeRequest) => {
  void server.watching.ready(message.id).then((watched) => {
    process.send?.({ type: 'ready', id: message.id, watched } satisfies NodeAnswer);
  });
});
console.log(server.url);
await once(process, 'SIGTERM');
await server.close();
process.exit(0);
