/**
 * A child process: sessionlog as `serve` runs it (bench-server.ts), observed, on the log file
 * and durability given as arguments, with file watching as by default or off. Tells the bench
 * its port, then answers `mark`/`stats` (child-stats.ts) until the bench disconnects.
 *
 *   node --import tsx bench/sessionlog-child.ts <db file> <full|normal> <watch|no-watch>
 */

import type { Durability } from '../src/events/store.js';
import { benchServer } from './bench-server.js';
import { type ServerMessage, serveStats, tell } from './child-stats.js';

const [db, durability, watch] = process.argv.slice(2);
if (db === undefined || !isDurability(durability) || (watch !== 'watch' && watch !== 'no-watch')) {
  throw new Error('usage: sessionlog-child.ts <db file> <full|normal> <watch|no-watch>');
}
const server = await benchServer({ db, durability, watch: watch === 'watch', observed: true });
serveStats(() => server.close());
tell({ type: 'ready', port: server.port } satisfies ServerMessage);

function isDurability(value: string | undefined): value is Durability {
  return value === 'full' || value === 'normal';
}
