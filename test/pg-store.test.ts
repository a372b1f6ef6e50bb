import { describe, expect, it, vi } from 'vitest';
import type { AnyEvent, Envelope, NewEvent } from '../src/events/envelope.js';
import {
  IdempotencyKeyReusedError,
  ValidationError,
  VersionConflictError,
} from '../src/events/errors.js';
import { chainHash, GENESIS_HASH } from '../src/events/hash.js';
import { sessionEventTypes } from '../src/events/schemas.js';
import { openPostgres } from '../src/stores/postgres/database.js';
import { PgEventStore } from '../src/stores/postgres/store.js';
import { fileChanged, started } from './support/events.js';
import { schemaOf, usePgNodes } from './support/pg-logs.js';
import { pgUnavailable, usePgAdmin, usePgSchemas } from './support/postgres.js';
import { expectRedecided } from './support/redecide.js';

const title = (what: string) => (pgUnavailable ? `${what} (skipped: ${pgUnavailable})` : what);

describe.skipIf(pgUnavailable !== undefined)(title('the PostgreSQL log'), () => {
  const pgSchemas = usePgSchemas();
  const admin = usePgAdmin();
  const open = usePgNodes();

  it('keeps every event, the log id and the sessions table across a reopen', async () => {
    const url = pgSchemas();
    const first = await open.log({ url });
    const { session } = await first.commands.start({
      cwd: '/tmp',
      hostname: 'h',
      platform: 'linux',
    });
    await first.commands.update(session.id, { name: 'renamed' });
    const events = await first.store.read();
    const logId = first.store.logId;
    await first.close();

    const second = await open.log({ url });
    expect(second.store.logId).toBe(logId);
    expect(await second.store.read()).toEqual(events);
    expect(await second.store.head()).toBe(2);
    expect((await second.getSession(session.id)).session).toMatchObject({
      name: 'renamed',
      version: 2,
    });
    expect(await second.sessionsPosition()).toBe(2);
    expect(second.opened).toEqual({ rebuilt: [], caughtUp: [] });
  });

  it('numbers positions 1, 2, 3, … without a gap, even when an append in the batch fails', async () => {
    const log = await open.log({ url: pgSchemas() });
    // Issued in one tick: they go to the database in one group commit.
    const results = await Promise.allSettled([
      log.store.append('a', [started]),
      log.store.append('a', [started], { expectedVersion: 'no-stream' }),
      log.store.append('b', [started, fileChanged('x')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
    expect((await log.store.read()).map((e) => [e.position, e.stream])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'b'],
    ]);
    expect(await log.store.head()).toBe(3);
    await log.store.append('c', [started]);
    expect((await log.store.read({ after: 3 })).map((e) => e.position)).toEqual([4]);
  });

  it('fails only the append whose transaction hook throws, and commits its neighbours', async () => {
    const node = await open.store(pgSchemas(), {
      hooks: [
        {
          async apply(client, events) {
            // A real write in the transaction: it must roll back with the faulty append.
            await client.query('CREATE TABLE IF NOT EXISTS hook_writes (stream text)');
            await client.query('INSERT INTO hook_writes SELECT unnest($1::text[])', [
              events.map((e) => e.stream),
            ]);
            if (events.some((e) => e.stream === 'faulty')) throw new Error('projection bug');
          },
        },
      ],
    });
    const results = await Promise.allSettled([
      node.store.append('a', [started]),
      node.store.append('faulty', [started]),
      node.store.append('b', [started]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('projection bug');
    expect((await node.store.read()).map((e) => [e.position, e.stream])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    const { rows } = await node.database.pool.query<{ stream: string }>(
      'SELECT stream FROM hook_writes ORDER BY stream',
    );
    expect(rows.map((r) => r.stream)).toEqual(['a', 'b']);
  });

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

  it('lets exactly one of two appends with the same expected version win', async () => {
    const log = await open.log({ url: pgSchemas() });
    await log.store.append('s', [started]);
    const results = await Promise.allSettled([
      log.store.append('s', [fileChanged('one')], { expectedVersion: 1 }),
      log.store.append('s', [fileChanged('two')], { expectedVersion: 1 }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [rejected] = results.filter((r) => r.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(VersionConflictError);
    expect(await log.store.readStream('s')).toHaveLength(2);
  });

  it('decides an append again, in its commit, on the events it missed on any node', async () => {
    const url = pgSchemas();
    const [a, b] = [await open.log({ url }), await open.log({ url })];
    await expectRedecided(a.store, b.store);
  });

  it('lets exactly one of two nodes win the same expected version, round after round', async () => {
    const url = pgSchemas();
    const a = await open.log({ url, applicationName: 'node-a' });
    const b = await open.log({ url, applicationName: 'node-b' });
    await a.store.append('s', [started]);
    for (let version = 1; version <= 20; version++) {
      const results = await Promise.allSettled([
        a.store.append('s', [fileChanged(`a${version}`)], { expectedVersion: version }),
        b.store.append('s', [fileChanged(`b${version}`)], { expectedVersion: version }),
      ]);
      expect(results.map((r) => r.status).sort(), `round ${version}`).toEqual([
        'fulfilled',
        'rejected',
      ]);
      const [rejected] = results.filter((r) => r.status === 'rejected');
      expect(rejected?.reason).toBeInstanceOf(VersionConflictError);
    }
    const stream = await b.store.readStream('s');
    expect(stream.map((e) => e.version)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(stream.map((e) => e.position)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('checks each kind of expected version', async () => {
    const log = await open.log({ url: pgSchemas() });
    await expect(log.store.append('s', [started], { expectedVersion: 'exists' })).rejects.toThrow(
      VersionConflictError,
    );
    await log.store.append('s', [started], { expectedVersion: 'no-stream' });
    await expect(
      log.store.append('s', [started], { expectedVersion: 'no-stream' }),
    ).rejects.toThrow(VersionConflictError);
    await log.store.append('s', [fileChanged('a')], { expectedVersion: 'exists' });
    await expect(log.store.append('s', [fileChanged('b')], { expectedVersion: 1 })).rejects.toThrow(
      /at version 2, expected 1/,
    );
    await expect(log.store.append('s', [fileChanged('b')], { expectedVersion: 3 })).rejects.toThrow(
      /at version 2, expected 3/,
    );
    await log.store.append('s', [fileChanged('b')], { expectedVersion: 2 });
    await log.store.append('s', [fileChanged('c')], { expectedVersion: 'any' });
    expect(await log.store.head()).toBe(4);
    expect((await log.store.readStream('s')).map((e) => e.version)).toEqual([1, 2, 3, 4]);
  });

  it('refuses invalid data with the field at fault and appends nothing', async () => {
    const log = await open.log({ url: pgSchemas() });
    await log.store.append('s', [started]);
    const invalid = [
      { type: 'SessionStarted', data: { cwd: 'relative/path', hostname: 'h', platform: 'linux' } },
      { type: 'FileChanged', data: { change: 'renamed', path: 'a', kind: 'file' } },
      { type: 'FileChanged', data: { change: 'created', path: '../outside', kind: 'file' } },
      { type: 'SessionStarted', data: { cwd: '/tmp', hostname: 'h', platform: 'linux', extra: 1 } },
      { type: 'NoSuchEvent', data: {} },
    ] as unknown as NewEvent[];
    for (const event of invalid) {
      const error = await log.store.append('s', [event]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]?.path).toMatch(/^events\.0\./);
    }
    // The second event is at fault: the first, valid one is not appended either.
    const second = await log.store
      .append('s', [fileChanged('ok'), { type: 'FileChanged', data: { path: 'x' } } as NewEvent])
      .catch((e: unknown) => e);
    expect((second as ValidationError).issues[0]?.path).toMatch(/^events\.1\./);
    await expect(log.store.append('', [started])).rejects.toThrow(ValidationError);
    await expect(log.store.append('s', [])).rejects.toThrow(ValidationError);
    expect(await log.store.head()).toBe(1);
    expect(await log.store.read()).toHaveLength(1);
  });

  it('returns the first result for a repeated idempotency key and appends nothing, also after a reopen and on another node', async () => {
    const url = pgSchemas();
    const first = await open.log({ url });
    const original = await first.store.append('s', [started], { idempotencyKey: 'k1' });
    expect(original).toMatchObject({ position: 1, version: 1, replayed: false });
    const again = await first.store.append('s', [started], { idempotencyKey: 'k1' });
    expect(again).toMatchObject({ position: 1, firstPosition: 1, version: 1, replayed: true });
    const other = await open.log({ url, applicationName: 'other-node' });
    const fromOther = await other.store.append('s', [started], { idempotencyKey: 'k1' });
    expect(fromOther).toMatchObject({ position: 1, version: 1, replayed: true });
    expect(await other.store.findIdempotencyKey('k1')).toMatchObject({
      result: { position: 1, replayed: true },
    });
    await first.close();

    const reopened = await open.log({ url });
    const afterReopen = await reopened.store.append('s', [started], { idempotencyKey: 'k1' });
    expect(afterReopen).toMatchObject({ position: 1, replayed: true });
    await expect(
      reopened.store.append('s', [fileChanged('other')], { idempotencyKey: 'k1' }),
    ).rejects.toThrow(IdempotencyKeyReusedError);
    await expect(
      other.store.append('s', [fileChanged('other')], { idempotencyKey: 'k1' }),
    ).rejects.toThrow(IdempotencyKeyReusedError);
    expect(await reopened.store.head()).toBe(1);
  });

  it('appends once when two nodes send the same idempotency key at the same moment', async () => {
    const url = pgSchemas();
    const a = await open.log({ url, applicationName: 'node-a' });
    const b = await open.log({ url, applicationName: 'node-b' });
    for (let n = 0; n < 10; n++) {
      const key = `k${n}`;
      const results = await Promise.all([
        a.store.append(`s${n}`, [started], { idempotencyKey: key }),
        b.store.append(`s${n}`, [started], { idempotencyKey: key }),
        a.store.append(`s${n}`, [started], { idempotencyKey: key }),
      ]);
      expect(
        results.filter((r) => !r.replayed),
        key,
      ).toHaveLength(1);
      expect(new Set(results.map((r) => r.position)).size, key).toBe(1);
    }
    expect(await a.store.head()).toBe(10);
  });

  it('tells subscribers of each commit, in position order, and never of a failed append', async () => {
    const url = pgSchemas();
    const log = await open.log({ url });
    const other = await open.log({ url, applicationName: 'other-node' });
    const seen: Envelope[] = [];
    const seenByOther: Envelope[] = [];
    const unsubscribe = log.store.subscribe((events) => seen.push(...events));
    other.store.subscribe((events) => seenByOther.push(...events));
    await Promise.allSettled([
      log.store.append('a', [started]),
      log.store.append('a', [started], { expectedVersion: 'no-stream' }),
      log.store.append('b', [started, fileChanged('x')]),
    ]);
    await expect(log.store.append('c', [{ type: 'Nope', data: {} } as never])).rejects.toThrow();
    await vi.waitFor(() => expect(seen).toHaveLength(3), { timeout: 10_000 });
    unsubscribe();
    await log.store.append('c', [started]);
    await vi.waitFor(() => expect(seenByOther).toHaveLength(4), { timeout: 10_000 });
    expect(seen.map((e) => [e.position, e.stream])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'b'],
    ]);
    expect(seenByOther.map((e) => e.position)).toEqual([1, 2, 3, 4]);
    expect(seenByOther).toEqual(await log.store.read());
  });

  it('has told this node’s subscribers of an append by the time it resolves', async () => {
    // What the gateway counts on: a client connecting after a write has been answered is
    // greeted with a head that includes it (its own NOTIFY often beats the COMMIT's answer).
    const log = await open.log({ url: pgSchemas() });
    let told = 0;
    log.store.subscribe((events) => {
      told = events.at(-1)?.position ?? told;
    });
    const late: number[] = [];
    for (let i = 0; i < 200; i++) {
      const { position } = await log.store.append('s', [fileChanged(`f${i}`)]);
      if (told < position) late.push(position);
    }
    await Promise.all(
      Array.from({ length: 5 }, async (_, n) => {
        const events = Array.from({ length: 300 }, (_, i) => fileChanged(`f${i}`));
        const { position } = await log.store.append(`b${n}`, events);
        if (told < position) late.push(position);
      }),
    );
    expect(late).toEqual([]);
    expect(told).toBe(1700);
  });

  it('shows an append in the sessions table as soon as it resolves, on every node', async () => {
    const url = pgSchemas();
    const log = await open.log({ url });
    const other = await open.log({ url, applicationName: 'other-node' });
    const writes = Array.from({ length: 20 }, async (_, i) => {
      const { position } = await log.store.append(`s${i}`, [started]);
      const [here, there] = await Promise.all([log.getSession(`s${i}`), other.getSession(`s${i}`)]);
      return { position, here, there };
    });
    for (const { position, here, there } of await Promise.all(writes)) {
      expect(here.session?.status).toBe('pending');
      expect(there.session?.status).toBe('pending');
      expect(here.position).toBeGreaterThanOrEqual(position);
    }
    const { sessions, position } = await other.listSessions();
    expect(sessions).toHaveLength(20);
    expect(position).toBe(20);
  });

  it('orders the log by position, not time, when the clock jumps backwards', async () => {
    const times = [new Date('2030-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z')];
    const log = await open.log({ url: pgSchemas(), clock: () => times.shift() ?? new Date() });
    await log.store.append('a', [started]);
    await log.store.append('b', [started]);
    const events = await log.store.read();
    expect(events.map((e) => [e.position, e.stream, e.time.slice(0, 4)])).toEqual([
      [1, 'a', '2030'],
      [2, 'b', '2020'],
    ]);
    expect((await log.listSessions()).sessions.map((s) => s.id)).toEqual(['a', 'b']);
  });

  it('gives as JSON text exactly what read gives, as JSON.stringify would write it', async () => {
    const log = await open.log({ url: pgSchemas() });
    const { session } = await log.commands.start({
      cwd: '/tmp',
      hostname: 'h"q\\',
      platform: 'linux',
      name: 'ünï "quoted"\ttab 💥 \u2028',
    });
    await log.commands.update(session.id, { summary: 'line\nbreak', status: 'in_progress' });
    await log.store.append('s', [
      { type: 'FileChanged', data: { change: 'created', path: 'a/ß.txt', kind: 'file' } },
    ]);
    const events = await log.store.read({ after: 1 });
    const texts = (await log.store.readJson?.({ after: 1 })) ?? [];
    expect(events).toHaveLength(2);
    expect(texts.map((t) => t.position)).toEqual(events.map((e) => e.position));
    expect(texts.map((t) => t.type)).toEqual(events.map((e) => e.type));
    expect(texts.map((t) => t.json)).toEqual(events.map((e) => JSON.stringify(e)));
    const all = (await log.store.readJson?.()) ?? [];
    expect(all).toHaveLength(3);
    expect(all.map((t) => t.json)).toEqual((await log.store.read()).map((e) => JSON.stringify(e)));
  });

  it('upcasts data written under an older schema version when it is read', async () => {
    const url = pgSchemas();
    const v1 = await open.store(url);
    await v1.store.append('s', [started]);
    const v2 = await open.store(url, {
      registry: {
        ...sessionEventTypes,
        SessionStarted: {
          ...sessionEventTypes.SessionStarted,
          schemaVersion: 2,
          upcast: { 1: (data) => ({ ...(data as object), user: 'unknown' }) },
        },
      },
    });
    const [event] = await v2.store.read();
    expect(event?.data).toMatchObject({ cwd: '/tmp', user: 'unknown' });
    expect(event?.meta.schemaVersion).toBe(2);
    const [text] = await v2.store.readJson();
    expect(JSON.parse(text?.json ?? '')).toEqual(event);
  });

  it('chains each event’s hash to the one before, across nodes and batches', async () => {
    const url = pgSchemas();
    const a = await open.log({ url, applicationName: 'node-a' });
    const b = await open.log({ url, applicationName: 'node-b' });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 === 0 ? a : b).store.append(`s${i % 5}`, [fileChanged(`f${i}`), fileChanged('g')]),
      ),
    );
    const events = await a.store.read();
    expect(events.map((e) => e.position)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    let previous = GENESIS_HASH;
    for (const { hash, ...content } of events) {
      expect(hash, `position ${content.position}`).toBe(chainHash(previous, content));
      previous = hash;
    }
    const { rows } = await a.database.pool.query<{ position: number; hash: string }>(
      'SELECT position, hash FROM log_head',
    );
    expect(rows[0]).toEqual({ position: 60, hash: previous });
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
      'this log has schema version 99; this sessionlog understands up to 1: upgrade sessionlog',
    );
    // Nothing was made again: the DDL of this version never ran on the newer log.
    const { rows } = await db.query(
      `SELECT 1 FROM pg_trigger WHERE tgname = 'events_no_truncate'
         AND tgrelid = '${schema}.events'::regclass`,
    );
    expect(rows).toEqual([]);
  });
});
