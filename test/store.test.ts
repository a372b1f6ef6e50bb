import { expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { Envelope, NewEvent } from '../src/events/envelope.js';
import { envelopeJson } from '../src/events/envelope-json.js';
import {
  IdempotencyKeyReusedError,
  ValidationError,
  VersionConflictError,
} from '../src/events/errors.js';
import { chainHash, GENESIS_HASH } from '../src/events/hash.js';
import { sessionEventTypes } from '../src/events/schemas.js';
import { fileChanged, started } from './support/events.js';
import { expectRedecided } from './support/redecide.js';
import { describeEachStore } from './support/store-backends.js';

// The store contract: what every backend's log keeps, written once and run on each of them.
// What only one backend has (SQLite's triggers, PostgreSQL's migrations) is in its own file.
describeEachStore('the log', (db, open) => {
  it('keeps every event, the log id and the sessions table across a reopen', async () => {
    const first = await open.log(db());
    const { session } = await first.commands.start({
      cwd: '/tmp',
      hostname: 'h',
      platform: 'linux',
    });
    await first.commands.update(session.id, { name: 'renamed' });
    const events = await first.store.read();
    const logId = first.store.logId;
    await first.close();

    const second = await open.log(db());
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
    const log = await open.log(db());
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
    // The hook writes in the transaction: its write must roll back with the faulty append.
    const { store, recorded } = await open.hooked(db(), (events) =>
      events.some((e) => e.stream === 'faulty'),
    );
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
    expect(await recorded()).toEqual(['a', 'b']);
  });

  it('lets exactly one of two appends with the same expected version win', async () => {
    const log = await open.log(db());
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

  it('decides an append again, in its commit, on the events it missed', async () => {
    const log = await open.log(db());
    await expectRedecided(log.store);
  });

  it('decides an append again, in its commit, on the events another connection wrote', async () => {
    const [a, b] = [await open.log(db()), await open.log(db(), { name: 'node-b' })];
    await expectRedecided(a.store, b.store);
  });

  it('lets exactly one of two connections win the same expected version, round after round', async () => {
    const a = await open.log(db(), { name: 'node-a' });
    const b = await open.log(db(), { name: 'node-b' });
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
    const log = await open.log(db());
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
    expect(await log.store.head()).toBe(3);
    await log.store.append('s', [fileChanged('c')], { expectedVersion: 'any' });
    expect(await log.store.head()).toBe(4);
    expect((await log.store.readStream('s')).map((e) => e.version)).toEqual([1, 2, 3, 4]);
  });

  it('refuses invalid data with the field at fault and appends nothing', async () => {
    const log = await open.log(db());
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

  it('refuses a string that is not well-formed Unicode anywhere in an append, naming it', async () => {
    const log = await open.log(db());
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
  });

  it('refuses such a string whatever the schemas of its event types allow', async () => {
    const registry = { Note: { schemaVersion: 1, schema: z.object({ text: z.string() }) } };
    const store = await open.store(db(), { registry });
    const error = await store
      .append('notes', [{ type: 'Note', data: { text: '\ud800' } }])
      .catch((e: unknown) => e);
    expect((error as ValidationError).issues).toEqual([
      { path: 'events.0.data.text', message: 'must be well-formed Unicode (no lone surrogate)' },
    ]);
    expect(await store.head()).toBe(0);
  });

  it('returns the first result for a repeated idempotency key and appends nothing, also after a reopen and on another connection', async () => {
    const first = await open.log(db());
    const original = await first.store.append('s', [started], { idempotencyKey: 'k1' });
    expect(original).toMatchObject({ position: 1, version: 1, replayed: false });
    const again = await first.store.append('s', [started], { idempotencyKey: 'k1' });
    expect(again).toMatchObject({ position: 1, firstPosition: 1, version: 1, replayed: true });
    const other = await open.log(db(), { name: 'other-node' });
    const fromOther = await other.store.append('s', [started], { idempotencyKey: 'k1' });
    expect(fromOther).toMatchObject({ position: 1, version: 1, replayed: true });
    expect(await other.store.findIdempotencyKey('k1')).toMatchObject({
      result: { position: 1, replayed: true },
    });
    await first.close();

    const reopened = await open.log(db());
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

  it('appends once when two connections send the same idempotency key at the same moment', async () => {
    const a = await open.log(db(), { name: 'node-a' });
    const b = await open.log(db(), { name: 'node-b' });
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
    const log = await open.log(db());
    const seen: Envelope[] = [];
    const unsubscribe = log.store.subscribe((events) => seen.push(...events));
    await Promise.allSettled([
      log.store.append('a', [started]),
      log.store.append('a', [started], { expectedVersion: 'no-stream' }),
      log.store.append('b', [started, fileChanged('x')]),
    ]);
    await expect(log.store.append('c', [{ type: 'Nope', data: {} } as never])).rejects.toThrow();
    await vi.waitFor(() => expect(seen).toHaveLength(3), { timeout: 10_000 });
    unsubscribe();
    await log.store.append('c', [started]);
    expect(seen.map((e) => [e.position, e.stream])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'b'],
    ]);
    expect(seen).toEqual(await log.store.read({ upTo: 3 }));
  });

  it('has told this connection’s subscribers of an append by the time it resolves', async () => {
    // What the gateway counts on: a client connecting after a write has been answered is
    // greeted with a head that includes it (on PostgreSQL its own NOTIFY often beats the
    // COMMIT's answer).
    const log = await open.log(db());
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

  it('shows an append in the sessions table as soon as it resolves, on every connection', async () => {
    const log = await open.log(db());
    const other = await open.log(db(), { name: 'other-node' });
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
    const log = await open.log(db(), { clock: () => times.shift() ?? new Date() });
    await log.store.append('a', [started]);
    await log.store.append('b', [started]);
    const events = await log.store.read();
    expect(events.map((e) => [e.position, e.stream, e.time.slice(0, 4)])).toEqual([
      [1, 'a', '2030'],
      [2, 'b', '2020'],
    ]);
    expect((await log.listSessions()).sessions.map((s) => s.id)).toEqual(['a', 'b']);
  });

  it('gives each envelope read back the same JSON text as JSON.stringify would, taken from the stored text', async () => {
    const log = await open.log(db());
    await log.commands.start({
      cwd: '/tmp',
      hostname: 'h"q',
      platform: 'linux',
      name: 'ünï "quoted"',
    });
    await log.store.append('s', [
      { type: 'FileChanged', data: { change: 'created', path: 'a/ß.txt', kind: 'file' } },
    ]);
    const events = await log.store.read();
    expect(events).toHaveLength(2);
    for (const event of events) expect(envelopeJson(event)).toBe(JSON.stringify(event));
  });

  it('gives as JSON text, made by the database, exactly what read gives, as JSON.stringify would write it', async () => {
    const log = await open.log(db());
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
    expect(texts.map((t) => JSON.parse(t.json))).toEqual(events);
    expect(texts.map((t) => t.json)).toEqual(events.map((e) => JSON.stringify(e)));
    const all = (await log.store.readJson?.()) ?? [];
    expect(all).toHaveLength(3);
    expect(all.map((t) => t.json)).toEqual((await log.store.read()).map((e) => JSON.stringify(e)));
  });

  it('upcasts data written under an older schema version when it is read', async () => {
    const v1 = await open.store(db());
    await v1.append('s', [started]);
    const v2 = await open.store(db(), {
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
    const [text] = (await v2.readJson?.()) ?? [];
    expect(JSON.parse(text?.json ?? '')).toEqual(event);
  });

  it('chains each event’s hash to the one before, across connections and batches', async () => {
    const a = await open.log(db(), { name: 'node-a' });
    const b = await open.log(db(), { name: 'node-b' });
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
  });
});
