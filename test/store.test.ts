import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { NewEvent } from '../src/events/envelope.js';
import { envelopeJson } from '../src/events/envelope-json.js';
import {
  IdempotencyKeyReusedError,
  ValidationError,
  VersionConflictError,
} from '../src/events/errors.js';
import { type SessionEvent, sessionEventTypes } from '../src/events/schemas.js';
import { openDatabase } from '../src/stores/sqlite/database.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { SqliteEventStore } from '../src/stores/sqlite/store.js';
import { fileChanged, started } from './support/events.js';
import { expectRedecided } from './support/redecide.js';
import { useLogFile } from './support/temp-dir.js';

describe('the SQLite log', () => {
  const logFile = useLogFile();

  it('keeps every event, the log id and the sessions table across a restart', async () => {
    const first = openSessionlog({ db: logFile() });
    const { session } = await first.commands.start({
      cwd: '/tmp',
      hostname: 'h',
      platform: 'linux',
    });
    await first.commands.update(session.id, { name: 'renamed' });
    const events = await first.store.read();
    const logId = first.store.logId;
    await first.close();

    const second = openSessionlog({ db: logFile() });
    expect(second.store.logId).toBe(logId);
    expect(await second.store.read()).toEqual(events);
    expect(await second.store.head()).toBe(2);
    expect(second.sessions.get(session.id)).toMatchObject({ name: 'renamed', version: 2 });
    await second.close();
  });

  it('numbers positions 1, 2, 3, … without a gap, even when an append in the batch fails', async () => {
    const log = openSessionlog({ db: logFile() });
    const results = await Promise.allSettled([
      log.store.append('a', [started]),
      log.store.append('a', [started], { expectedVersion: 'no-stream' }),
      log.store.append('b', [started, fileChanged('x')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await log.store.read()).map((e) => e.position)).toEqual([1, 2, 3]);
    await log.close();
  });

  it('fails only the append whose projection throws, and commits its neighbours', async () => {
    const db = openDatabase(logFile());
    const store = new SqliteEventStore<SessionEvent>(db, {
      hooks: [
        {
          apply(events) {
            if (events.some((e) => e.stream === 'faulty')) throw new Error('projection bug');
          },
        },
      ],
    });
    const results = await Promise.allSettled([
      store.append('a', [started]),
      store.append('faulty', [started]),
      store.append('b', [started]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('projection bug');
    expect((await store.read()).map((e) => [e.position, e.stream])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    db.close();
  });

  it('refuses UPDATE and DELETE of an event row in the database itself', async () => {
    const log = openSessionlog({ db: logFile() });
    await log.store.append('a', [started]);
    await log.close();
    const db = new Database(logFile());
    expect(() => db.prepare("UPDATE events SET data = '{}' WHERE position = 1").run()).toThrow(
      /append-only/,
    );
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(1);
    db.close();
  });

  it('lets exactly one of two appends with the same expected version win', async () => {
    const log = openSessionlog({ db: logFile() });
    await log.store.append('s', [started]);
    const results = await Promise.allSettled([
      log.store.append('s', [fileChanged('one')], { expectedVersion: 1 }),
      log.store.append('s', [fileChanged('two')], { expectedVersion: 1 }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [rejected] = results.filter((r) => r.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(VersionConflictError);
    expect(await log.store.readStream('s')).toHaveLength(2);
    await log.close();
  });

  it('decides an append again, in its commit, on the events it missed', async () => {
    const log = openSessionlog({ db: logFile() });
    await expectRedecided(log.store);
    await log.close();
  });

  it('lets exactly one of two processes’ connections win the same expected version', async () => {
    const a = openSessionlog({ db: logFile() });
    await a.store.append('s', [started]);
    const b = openSessionlog({ db: logFile() });
    const results = await Promise.allSettled([
      a.store.append('s', [fileChanged('one')], { expectedVersion: 1 }),
      b.store.append('s', [fileChanged('two')], { expectedVersion: 1 }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await a.store.readStream('s')).toHaveLength(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('checks each kind of expected version', async () => {
    const log = openSessionlog({ db: logFile() });
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
    await log.store.append('s', [fileChanged('b')], { expectedVersion: 2 });
    expect(await log.store.head()).toBe(3);
    await log.close();
  });

  it('refuses invalid data with the field at fault and appends nothing', async () => {
    const log = openSessionlog({ db: logFile() });
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
    await expect(log.store.append('', [started])).rejects.toThrow(ValidationError);
    await expect(log.store.append('s', [])).rejects.toThrow(ValidationError);
    expect(await log.store.head()).toBe(1);
    await log.close();
  });

  it('refuses a string that is not well-formed Unicode anywhere in an append, naming it', async () => {
    const log = openSessionlog({ db: logFile() });
    await log.store.append('s', [started]);
    const refused = async (
      stream: string,
      event: NewEvent,
      options: Parameters<typeof log.store.append>[2] = {},
    ) => {
      const error = await log.store.append(stream, [event], options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).issues.map((issue) => issue.path);
    };
    const renamed = (name: string): NewEvent => ({ type: 'SessionUpdated', data: { name } });
    expect(await refused('s', renamed('a\ud800b'))).toEqual(['events.0.data.name']);
    expect(await refused('s', fileChanged('dir/\udfff.txt'))).toEqual(['events.0.data.path']);
    expect(
      await refused('s', { ...renamed('ok'), meta: { requestId: 'r', note: ['\ud800'] } }),
    ).toEqual(['events.0.meta.note.0']);
    expect(await refused('s\ud800', renamed('ok'))).toEqual(['stream']);
    expect(await refused('s', renamed('ok'), { idempotencyKey: 'k\udc00' })).toEqual([
      'idempotencyKey',
    ]);
    expect(await log.store.head()).toBe(1);
    await log.close();
  });

  it('refuses such a string whatever the schemas of its event types allow', async () => {
    const registry = { Note: { schemaVersion: 1, schema: z.object({ text: z.string() }) } };
    const db = openDatabase(logFile());
    const store = new SqliteEventStore(db, { registry });
    const error = await store
      .append('notes', [{ type: 'Note', data: { text: '\ud800' } }])
      .catch((e: unknown) => e);
    expect((error as ValidationError).issues).toEqual([
      { path: 'events.0.data.text', message: 'must be well-formed Unicode (no lone surrogate)' },
    ]);
    expect(await store.head()).toBe(0);
    await store.close();
    db.close();
  });

  it('returns the first result for a repeated idempotency key and appends nothing, also after a restart', async () => {
    const first = openSessionlog({ db: logFile() });
    const original = await first.store.append('s', [started], { idempotencyKey: 'k1' });
    const again = await first.store.append('s', [started], { idempotencyKey: 'k1' });
    expect(again).toMatchObject({ position: original.position, version: 1, replayed: true });
    await first.close();

    const second = openSessionlog({ db: logFile() });
    const afterRestart = await second.store.append('s', [started], { idempotencyKey: 'k1' });
    expect(afterRestart).toMatchObject({ position: original.position, replayed: true });
    await expect(
      second.store.append('s', [fileChanged('other')], { idempotencyKey: 'k1' }),
    ).rejects.toThrow(IdempotencyKeyReusedError);
    expect(await second.store.head()).toBe(1);
    await second.close();
  });

  it('tells subscribers of each commit, in position order, and never of a failed append', async () => {
    const log = openSessionlog({ db: logFile() });
    const seen: number[] = [];
    const unsubscribe = log.store.subscribe((events) =>
      seen.push(...events.map((e) => e.position)),
    );
    await Promise.allSettled([
      log.store.append('a', [started]),
      log.store.append('a', [started], { expectedVersion: 'no-stream' }),
      log.store.append('b', [started, fileChanged('x')]),
    ]);
    unsubscribe();
    await log.store.append('c', [started]);
    expect(seen).toEqual([1, 2, 3]);
    await log.close();
  });

  it('shows an append in the sessions table as soon as it resolves', async () => {
    const log = openSessionlog({ db: logFile() });
    const writes = Array.from({ length: 20 }, (_, i) =>
      log.store.append(`s${i}`, [started]).then(() => log.sessions.get(`s${i}`)),
    );
    const rows = await Promise.all(writes);
    expect(rows.every((row) => row?.status === 'pending')).toBe(true);
    await log.close();
  });

  it('orders the log by position, not time, when the clock jumps backwards', async () => {
    const times = [new Date('2030-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z')];
    const log = openSessionlog({ db: logFile(), clock: () => times.shift() ?? new Date() });
    await log.store.append('a', [started]);
    await log.store.append('b', [started]);
    const events = await log.store.read();
    expect(events.map((e) => [e.position, e.stream, e.time.slice(0, 4)])).toEqual([
      [1, 'a', '2030'],
      [2, 'b', '2020'],
    ]);
    await log.close();
  });

  it('upcasts data written under an older schema version when it is read', async () => {
    const db = openDatabase(logFile());
    const v1 = new SqliteEventStore<SessionEvent>(db);
    await v1.append('s', [started]);
    const v2 = new SqliteEventStore(db, {
      registry: {
        ...sessionEventTypes,
        SessionStarted: {
          ...sessionEventTypes.SessionStarted,
          schemaVersion: 2,
          upcast: { 1: (data) => ({ ...(data as object), user: 'unknown' }) },
        },
      },
    });
    const [event] = await v2.read();
    expect(event?.data).toMatchObject({ cwd: '/tmp', user: 'unknown' });
    expect(event?.meta.schemaVersion).toBe(2);
    const [text] = await v2.readJson();
    expect(JSON.parse(text?.json ?? '')).toEqual(event);
    db.close();
  });
});

describe('reading the log back', () => {
  const logFile = useLogFile();

  it('gives each envelope the same JSON text as JSON.stringify would, taken from the stored text', async () => {
    const log = openSessionlog({ db: logFile() });
    await log.commands.start({
      cwd: '/tmp',
      hostname: 'h"q',
      platform: 'linux',
      name: 'ünï "quoted"',
    });
    await log.store.append('s', [
      { type: 'FileChanged', data: { change: 'created', path: 'a/ß.txt', kind: 'file' } },
    ]);
    for (const event of await log.store.read()) {
      expect(envelopeJson(event)).toBe(JSON.stringify(event));
    }
    await log.close();
  });

  it('gives as JSON text, made by SQLite, exactly what read gives', async () => {
    const log = openSessionlog({ db: logFile() });
    const { session } = await log.commands.start({
      cwd: '/tmp',
      hostname: 'h"q\\',
      platform: 'linux',
      name: 'ünï "quoted"\ttab',
    });
    await log.commands.update(session.id, { summary: 'line\nbreak', status: 'in_progress' });
    await log.store.append('s', [
      { type: 'FileChanged', data: { change: 'created', path: 'a/ß.txt', kind: 'file' } },
    ]);
    const events = await log.store.read({ after: 1 });
    const texts = (await log.store.readJson?.({ after: 1 })) ?? [];
    expect(texts.map((t) => t.position)).toEqual(events.map((e) => e.position));
    expect(texts.map((t) => JSON.parse(t.json))).toEqual(events);
    expect(texts.map((t) => t.json)).toEqual(events.map((e) => JSON.stringify(e)));
    await log.close();
  });
});
