// An appending node of its own: opens a PgEventStore, prints "ready", waits for a line on
// stdin, then appends `count` events from 3 concurrent writers, holding each transaction
// open a random 0–20 ms before COMMIT, and prints one JSON line per acknowledged append:
// {"positions":[…],"ids":[…]}. Exits 0 once every append is acknowledged.
// Usage: node --import tsx test/support/pg-appender.ts <postgres url> <count> <name>
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPostgres } from '../../src/stores/postgres/database.js';
import { PgEventStore } from '../../src/stores/postgres/store.js';

const [url, countText, name = 'appender'] = process.argv.slice(2);
const count = Number(countText);
if (url === undefined || !Number.isInteger(count) || count < 1) {
  throw new Error('usage: pg-appender.ts <postgres url> <count> [name]');
}
const WRITERS = 3;

const database = await openPostgres(url, { applicationName: name, max: WRITERS + 1 });
const store = await PgEventStore.open(database, {
  // Inside the transaction, with the head's row locked: the other nodes wait behind it.
  beforeCommit: () => sleep(Math.random() * 20),
});
process.stdout.write('ready\n');
// Every appender starts at once, so that their transactions really overlap.
await once(process.stdin, 'data');
process.stdin.pause();

let left = count;
async function writer(n: number): Promise<void> {
  const stream = `${name}-${n}`;
  while (left > 0) {
    const size = Math.min(left, 1 + Math.floor(Math.random() * 3));
    left -= size;
    const result = await store.append(
      stream,
      Array.from({ length: size }, (_, i) => ({
        type: 'FileChanged',
        data: { change: 'modified', path: `f${left + i}`, kind: 'file' },
      })),
    );
    const positions = result.events.map((e) => e.position);
    const ids = result.events.map((e) => e.id);
    process.stdout.write(`${JSON.stringify({ positions, ids })}\n`);
  }
}

await Promise.all(Array.from({ length: WRITERS }, (_, n) => writer(n)));
await store.close();
await database.pool.end();
