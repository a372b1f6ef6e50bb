import { statSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/observe/logger.js';
import { inMemoryTable } from '../src/projections/in-memory-table.js';
import { sessionsProjection } from '../src/projections/sessions-projection.js';
import type { SessionState, SessionStatus } from '../src/sessions/session.js';
import type { Sessionlog } from '../src/sessions/sessionlog.js';
import { openDatabase } from '../src/stores/sqlite/database.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { bindTable, createTable } from '../src/stores/sqlite/projection-table.js';
import { useLogFile } from './support/temp-dir.js';

const change = { change: 'modified' as const, path: 'a.ts', kind: 'file' as const };
const fileChanged = { type: 'FileChanged' as const, data: change };

/** Starts `count` sessions, concurrently (group commit makes few transactions of them). */
async function startSessions(log: Sessionlog, count: number): Promise<string[]> {
  const started = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      log.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux', name: `s${i}` }),
    ),
  );
  return started.map(({ session }) => session.id);
}

describe('projection snapshots', () => {
  const logFile = useLogFile();

  it('are written behind the log as it grows, without being asked', async () => {
    const log = openSessionlog({ db: logFile(), durability: 'normal', snapshotEvery: 10 });
    await startSessions(log, 25);
    const [id] = await startSessions(log, 1);
    for (let i = 0; i < 30; i++) await log.store.append(id as string, [fileChanged]);
    const head = await log.store.head();
    await vi.waitFor(() => {
      expect(log.projections.snapshotStats('sessions').latest).toBe(Math.floor(head / 10) * 10);
    });
    expect(log.projections.catchUpSnapshots()).toBe(0);
    await log.close();
  });

  it('store the rows that changed, and a full table only once the changes add up to one', async () => {
    // 1,000 sessions, then 40 intervals of 100 events, each touching 100 of them at random.
    const sessions = 1000;
    const every = 100;
    const log = openSessionlog({ db: logFile(), durability: 'normal', snapshotEvery: every });
    const ids = await startSessions(log, sessions);
    const random = fc.sample(fc.integer({ min: 0, max: sessions - 1 }), { numRuns: 4000, seed: 7 });
    for (let interval = 0; interval < 40; interval++) {
      const touched = random.slice(interval * every, (interval + 1) * every);
      await Promise.all(touched.map((i) => log.store.append(ids[i] as string, [fileChanged])));
    }
    log.projections.catchUpSnapshots();
    const stats = log.projections.snapshotStats('sessions');
    const head = await log.store.head();
    expect(stats.count).toBe(Math.floor(head / every));
    // Each snapshot in full would hold every row there was at its position.
    const allFull = Array.from({ length: stats.count }, (_, i) =>
      Math.min(sessions, (i + 1) * every),
    ).reduce((a, b) => a + b, 0);
    // At most one stored row per row change (an event), plus fulls that those changes paid for.
    expect(stats.rows).toBeLessThanOrEqual(2 * head);
    expect(stats.rows).toBeLessThan(allFull / 4);
    expect(stats.fulls).toBeGreaterThan(1);
    await log.close();
    const fileBytes = statSync(logFile()).size;
    expect(stats.bytes).toBeLessThan(fileBytes / 10);
    // And they still agree with the log.
    const reopened = openSessionlog({ db: logFile(), snapshotEvery: every });
    expect(reopened.projections.verify()).toEqual([]);
    await reopened.close();
  });

  it('are folded from what this connection committed, and read from the log where another did', async () => {
    const file = logFile();
    const log = openSessionlog({ db: file, durability: 'normal', snapshotEvery: 10 });
    // A second connection to the same file, writing no snapshots of its own.
    const other = openSessionlog({ db: file, durability: 'normal', snapshotEvery: 0 });
    const [mine] = await startSessions(log, 1);
    for (let i = 0; i < 25; i++) await log.store.append(mine as string, [fileChanged]);
    // Positions 27..39 are not heard by `log`: its snapshots at 30 must read them.
    const [theirs] = await startSessions(other, 1);
    for (let i = 0; i < 12; i++) await other.store.append(theirs as string, [fileChanged]);
    for (let i = 0; i < 25; i++) await log.store.append(mine as string, [fileChanged]);
    log.projections.catchUpSnapshots();
    expect(log.projections.snapshotStats('sessions').latest).toBe(60);
    await Promise.all([log.close(), other.close()]);
    const reopened = openSessionlog({ db: file, snapshotEvery: 10 });
    expect(reopened.projections.verify()).toEqual([]);
    await reopened.close();
  });

  it('stop being written when the log closes', async () => {
    const errors: string[] = [];
    const logger = createLogger({ destination: { write: (line) => void errors.push(line) } });
    const log = openSessionlog({ db: logFile(), durability: 'normal', snapshotEvery: 2, logger });
    await startSessions(log, 5);
    await log.close(); // a run was due: it must not touch the closed database
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([]);
  });
});

describe('the sessions projection in memory (what asOf reads)', () => {
  const logFile = useLogFile();

  it('answers exactly as its table does, order included', async () => {
    const db = openDatabase(logFile());
    createTable(db, sessionsProjection, 'sessions');
    const table = bindTable(db, sessionsProjection, 'sessions');
    const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 4 });
    const row = fc.record({
      id: text,
      status: fc.constantFrom<SessionStatus>('pending', 'in_progress', 'completed', 'failed'),
      startedAt: fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
      deleted: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.uniqueArray(row, { selector: (r) => r.id, maxLength: 30 }), (rows) => {
        db.exec('DELETE FROM sessions');
        const memory = new Map<string, SessionState>();
        for (const { id, status, startedAt, deleted } of rows) {
          const state: SessionState = {
            id,
            name: null,
            cwd: '/tmp',
            hostname: 'h',
            platform: 'linux',
            user: null,
            status,
            summary: null,
            startedAt,
            endedAt: null,
            lastActivityAt: startedAt,
            fileChanges: 0,
            version: 1,
            deletedAt: deleted ? startedAt : null,
          };
          table.put(state);
          memory.set(id, state);
        }
        const inMemory = inMemoryTable(sessionsProjection, memory);
        expect(inMemory.list()).toEqual(table.list());
        expect(inMemory.list({ status: 'failed' })).toEqual(table.list({ status: 'failed' }));
        expect([...inMemory.rows()]).toEqual([...table.rows()]);
      }),
      { numRuns: 200 },
    );
    db.close();
  });

  it('answers every page exactly as its table does: order, cursor, status, search', async () => {
    const db = openDatabase(logFile());
    createTable(db, sessionsProjection, 'sessions');
    const table = bindTable(db, sessionsProjection, 'sessions');
    const statuses = ['pending', 'in_progress', 'completed', 'failed'] as const;
    // Few characters, so that ties, matches and case differences are frequent.
    const text = fc.string({
      unit: fc.constantFrom('a', 'A', 'é', 'É', '%', '_', '😀'),
      maxLength: 3,
    });
    const row = fc.record({
      id: text,
      name: fc.option(text),
      cwd: text.map((t) => `/${t}`),
      status: fc.constantFrom(...statuses),
      lastActivityAt: fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
      deleted: fc.boolean(),
    });
    const query = fc.record({
      limit: fc.integer({ min: 1, max: 5 }),
      after: fc.option(
        fc.tuple(fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'), text),
      ),
      filter: fc.option(fc.subarray([...statuses], { minLength: 1 })),
      search: fc.option(text.filter((t) => t !== '')),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(row, { selector: (r) => r.id, maxLength: 20 }),
        query,
        (rows, q) => {
          db.exec('DELETE FROM sessions');
          const memory = new Map<string, SessionState>();
          for (const { id, name, cwd, status, lastActivityAt, deleted } of rows) {
            const state: SessionState = {
              id,
              name,
              cwd,
              hostname: 'h',
              platform: 'linux',
              user: null,
              status,
              summary: null,
              startedAt: lastActivityAt,
              endedAt: null,
              lastActivityAt,
              fileChanges: 0,
              version: 1,
              deletedAt: deleted ? lastActivityAt : null,
            };
            table.put(state);
            memory.set(id, state);
          }
          const page = {
            limit: q.limit,
            ...(q.after === null ? {} : { after: q.after }),
            ...(q.filter === null ? {} : { filter: q.filter }),
            ...(q.search === null ? {} : { search: q.search }),
          };
          expect(inMemoryTable(sessionsProjection, memory).page(page)).toEqual(table.page(page));
        },
      ),
      { numRuns: 150 },
    );
    db.close();
  });
});
