import { describe, expect, it, vi } from 'vitest';
import type { AnyEvent, Envelope } from '../src/events/envelope.js';
import { openPostgres } from '../src/stores/postgres/database.js';
import { PgEventStore } from '../src/stores/postgres/store.js';
import { fileChanged, started } from './support/events.js';
import { schemaOf, usePgNodes } from './support/pg-logs.js';
import { pgUnavailable, usePgAdmin, usePgSchemas } from './support/postgres.js';

const title = (what: string) => (pgUnavailable ? `${what} (skipped: ${pgUnavailable})` : what);

// What only the PostgreSQL log does: several nodes on one schema, its triggers and its
// migration. What every log does is the store contract, in store.test.ts.
describe.skipIf(pgUnavailable !== undefined)(title('the PostgreSQL log'), () => {
  const pgSchemas = usePgSchemas();
  const admin = usePgAdmin();
  const open = usePgNodes();

  it('refuses UPDATE, DELETE and TRUNCATE of the events and keys in the database itself', async () => {
    const url = pgSchemas();
    const log = await open.log({ url });
    await log.store.append('a', [started], { idempotencyKey: 'k' });
    const events = await log.store.read();
    const sql = await admin();
    const schema = schemaOf(url);
    for (const statement of [
      `UPDATE ${schema}.events SET data = '{}' WHERE position = 1`,
      `UPDATE ${schema}.events SET hash = repeat('f', 64)`,
      `DELETE FROM ${schema}.events`,
      `TRUNCATE ${schema}.events`,
      `TRUNCATE ${schema}.events CASCADE`,
      `UPDATE ${schema}.idempotency_keys SET position = 99`,
      `DELETE FROM ${schema}.idempotency_keys`,
      `TRUNCATE ${schema}.idempotency_keys`,
    ]) {
      await expect(sql.query(statement), statement).rejects.toThrow(/append-only: \w+ refused/);
    }
    const { rows } = await sql.query<{ events: string; keys: string }>(
      `SELECT (SELECT count(*) FROM ${schema}.events) AS events,
        (SELECT count(*) FROM ${schema}.idempotency_keys) AS keys`,
    );
    expect(rows[0]).toEqual({ events: '1', keys: '1' });
    expect(await log.store.read()).toEqual(events);
  });

  it('tells another node’s subscribers of each commit, in position order, and never of a failed append', async () => {
    const url = pgSchemas();
    const log = await open.log({ url });
    const other = await open.log({ url, applicationName: 'other-node' });
    const seenByOther: Envelope[] = [];
    other.store.subscribe((events) => seenByOther.push(...events));
    const appends = [
      log.store.append('a', [started]),
      log.store.append('a', [started], { expectedVersion: 'no-stream' }),
      log.store.append('b', [started, fileChanged('x')]),
      log.store.append('c', [{ type: 'Nope', data: {} } as never]),
    ];
    expect((await Promise.allSettled(appends)).map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
    ]);
    await log.store.append('c', [started]);
    await vi.waitFor(() => expect(seenByOther).toHaveLength(4), { timeout: 10_000 });
    expect(seenByOther.map((e) => e.position)).toEqual([1, 2, 3, 4]);
    expect(seenByOther).toEqual(await log.store.read());
  });

  it('keeps the last position and its hash in log_head, whichever node appended it', async () => {
    const url = pgSchemas();
    const nodes = [
      await open.log({ url, applicationName: 'node-a' }),
      await open.log({ url, applicationName: 'node-b' }),
    ];
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        nodes[i % 2]?.store.append(`s${i % 5}`, [fileChanged(`f${i}`), fileChanged('g')]),
      ),
    );
    const last = (await nodes[1]?.store.read({ after: 59 }))?.[0];
    const { rows } = (await nodes[0]?.database.pool.query<{ position: number; hash: string }>(
      'SELECT position, hash FROM log_head',
    )) ?? { rows: [] };
    expect(rows[0]).toEqual({ position: 60, hash: last?.hash });
  });

  it('lets nodes open a fresh schema at the same time: one log, one id', async () => {
    const url = pgSchemas();
    const databases = await Promise.all(
      Array.from({ length: 4 }, (_, i) => openPostgres(url, { applicationName: `migrate-${i}` })),
    );
    try {
      const stores = await Promise.all(databases.map((db) => PgEventStore.open<AnyEvent>(db)));
      expect(new Set(stores.map((s) => s.logId)).size).toBe(1);
      await Promise.all(stores.map((store, i) => store.append(`s${i}`, [started])));
      expect((await stores[0]?.read())?.map((e) => e.position)).toEqual([1, 2, 3, 4]);
      await Promise.all(stores.map((store) => store.close()));
      const [first] = databases;
      const { rows } = (await first?.pool.query<{ key: string }>(
        'SELECT key FROM meta ORDER BY key',
      )) ?? { rows: [] };
      expect(rows.map((r) => r.key)).toEqual(['logId', 'schemaVersion']);
    } finally {
      await Promise.all(databases.map((db) => db.pool.end()));
    }
  });

  it('opens a log made by a newer sessionlog with a clear refusal, and changes nothing in it', async () => {
    const url = pgSchemas();
    const made = await openPostgres(url);
    await made.pool.end();
    const db = await admin();
    const schema = schemaOf(url);
    await db.query(`UPDATE ${schema}.meta SET value = '99' WHERE key = 'schemaVersion'`);
    await db.query(`DROP TRIGGER events_no_truncate ON ${schema}.events`);
    await expect(openPostgres(url)).rejects.toThrow(
      'this log has schema version 99; this sessionlog understands up to 2: upgrade sessionlog',
    );
    // Nothing was made again: the DDL of this version never ran on the newer log.
    const { rows } = await db.query(
      `SELECT 1 FROM pg_trigger WHERE tgname = 'events_no_truncate'
         AND tgrelid = '${schema}.events'::regclass`,
    );
    expect(rows).toEqual([]);
  });
});
