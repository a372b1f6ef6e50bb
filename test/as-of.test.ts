import { describe, expect, it, vi } from 'vitest';
import type { AnyEvent, Envelope } from '../src/events/envelope.js';
import { sessionEventTypes } from '../src/events/schemas.js';
import { createLogger } from '../src/observe/logger.js';
import type { AnyProjection } from '../src/projections/projection.js';
import { sessionsProjection } from '../src/projections/sessions-projection.js';
import type { SessionState } from '../src/sessions/session.js';
import { openDatabase, type SqliteDatabase } from '../src/stores/sqlite/database.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { SqliteProjections } from '../src/stores/sqlite/projections.js';
import { SqliteEventReader } from '../src/stores/sqlite/reader.js';
import { useLogFile } from './support/temp-dir.js';

const EVERY = 5;

/**
 * A history of about 80 events over 8 sessions: starts, renames, file changes in appends of
 * several events (so that appends straddle snapshot boundaries), ends and deletions.
 */
async function writeHistory(file: string): Promise<number> {
  const log = openSessionlog({ db: file, durability: 'normal', snapshotEvery: EVERY });
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) {
    const { session } = await log.commands.start({
      cwd: '/tmp',
      hostname: 'h',
      platform: 'linux',
      name: `s${i}`,
    });
    ids.push(session.id);
    if (i % 2 === 0) await log.commands.update(session.id, { status: 'in_progress' });
  }
  for (let round = 0; round < 6; round++) {
    for (const [i, id] of ids.entries()) {
      if ((i + round) % 3 !== 0) continue;
      const change = { change: 'modified' as const, path: `f${round}.ts`, kind: 'file' as const };
      await log.store.append(
        id,
        Array.from({ length: 1 + (i % 4) }, () => ({ type: 'FileChanged' as const, data: change })),
      );
    }
  }
  await log.commands.end(ids[1] as string, { status: 'completed', summary: 'done' });
  await log.commands.delete(ids[2] as string);
  await log.commands.patch(ids[3] as string, { name: 'renamed', status: 'failed' });
  const head = await log.store.head();
  await log.close();
  return head;
}

/** The reference: the log folded with the projection's evolve, by hand, up to `position`. */
function plainFold(
  events: readonly Envelope<AnyEvent>[],
  projection: AnyProjection,
  position: number,
) {
  const rows = new Map<string, SessionState>();
  for (const event of events) {
    if (event.position > position) break;
    const row = projection.evolve(rows.get(event.stream) ?? null, event);
    if (row !== null) rows.set(event.stream, row);
  }
  return [...rows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function open(
  db: SqliteDatabase,
  projection: AnyProjection = sessionsProjection,
  logger = createLogger({ level: 'silent' }),
) {
  const reader = new SqliteEventReader(db, sessionEventTypes);
  const projections = new SqliteProjections(db, reader, [projection], {
    snapshotEvery: EVERY,
    logger,
  });
  const rows = vi.spyOn(reader, 'rows');
  /** The table as of `position`, and the first position of the log it had to read. */
  const asOf = (position: number) => {
    rows.mockClear();
    const table = projections.asOf(projection, position, (t) => [...t.rows()]);
    const read = rows.mock.calls.map(([options]) => options?.after ?? 0);
    return { table, foldedFrom: Math.min(position, ...read) };
  };
  return { reader, projections, asOf };
}

describe('asOf from snapshots', () => {
  const logFile = useLogFile();

  it('equals the plain fold at every position, 0 and the head, and folds only from the nearest snapshot', async () => {
    const head = await writeHistory(logFile());
    const db = openDatabase(logFile());
    const { reader, projections, asOf } = open(db);
    projections.catchUpSnapshots();
    expect(projections.snapshotStats('sessions').latest).toBe(Math.floor(head / EVERY) * EVERY);
    const events = reader.read();
    // Every position: each snapshot boundary, and the positions just before and after it.
    for (let position = 0; position <= head; position++) {
      const { table, foldedFrom } = asOf(position);
      expect(table, `as of ${position}`).toEqual(plainFold(events, sessionsProjection, position));
      expect(foldedFrom, `as of ${position}`).toBe(Math.floor(position / EVERY) * EVERY);
    }
    db.close();
  });

  it('is the same after a rebuild, which writes the snapshots again', async () => {
    const head = await writeHistory(logFile());
    const db = openDatabase(logFile());
    const { reader, projections, asOf } = open(db);
    const before = projections.snapshotStats('sessions');
    expect(projections.rebuild('sessions').snapshots).toBe(Math.floor(head / EVERY));
    expect(projections.snapshotStats('sessions')).toMatchObject({
      count: Math.floor(head / EVERY),
      latest: Math.floor(head / EVERY) * EVERY,
    });
    expect(before.count).toBeGreaterThan(0); // written behind the log while it was built
    const events = reader.read();
    for (let position = 0; position <= head; position++) {
      expect(asOf(position).table).toEqual(plainFold(events, sessionsProjection, position));
    }
    expect(projections.verify()).toEqual([]);
    db.close();
  });

  it('never uses the snapshots of another projection version', async () => {
    const head = await writeHistory(logFile());
    // Version 2 folds differently: names in capitals.
    const v2: AnyProjection = {
      ...sessionsProjection,
      version: 2,
      evolve: (row, event) => {
        const next = sessionsProjection.evolve(row, event);
        return next === null ? null : { ...next, name: next.name?.toUpperCase() ?? null };
      },
    };
    const db = openDatabase(logFile());
    const { reader, projections, asOf } = open(db, v2);
    const events = reader.read();
    // Before it is rebuilt, only version 1's snapshots exist: asOf folds from the start.
    const late = asOf(head);
    expect(late.table).toEqual(plainFold(events, v2, head));
    expect(late.foldedFrom).toBe(0);
    expect(projections.open()).toEqual({ rebuilt: ['sessions'], caughtUp: [] });
    const left = db.prepare('SELECT DISTINCT version FROM projection_snapshots').pluck().all();
    expect(left).toEqual([2]);
    for (let position = 0; position <= head; position++) {
      const { table, foldedFrom } = asOf(position);
      expect(table).toEqual(plainFold(events, v2, position));
      expect(foldedFrom).toBe(Math.floor(position / EVERY) * EVERY);
    }
    db.close();
  });

  it('ignores a snapshot that was not folded from this log, and answers from the log', async () => {
    const head = await writeHistory(logFile());
    const db = openDatabase(logFile());
    const logged: string[] = [];
    const logger = createLogger({ destination: { write: (line) => void logged.push(line) } });
    const { reader, projections, asOf } = open(db, sessionsProjection, logger);
    projections.catchUpSnapshots();
    const latest = projections.snapshotStats('sessions').latest;
    db.prepare("UPDATE projection_snapshots SET hash = 'another log' WHERE position = ?").run(
      latest,
    );
    const { table, foldedFrom } = asOf(head);
    expect(table).toEqual(plainFold(reader.read(), sessionsProjection, head));
    expect(foldedFrom).toBe(0);
    expect(logged.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({
        msg: 'ignoring snapshots that do not match the log',
        projection: 'sessions',
        err: expect.objectContaining({
          message: expect.stringContaining('not folded from this log'),
        }),
      }),
    );
    db.close();
  });
});
