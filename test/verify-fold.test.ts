import { describe, expect, it } from 'vitest';
import type { EventRegistry } from '../src/events/schemas.js';
import { sessionEventTypes } from '../src/events/schemas.js';
import { Fold } from '../src/projections/fold.js';
import type { AnyProjection } from '../src/projections/projection.js';
import { sessionsProjection } from '../src/projections/sessions-projection.js';
import type { SessionState } from '../src/sessions/session.js';
import { openDatabase } from '../src/stores/sqlite/database.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { ProgressReader } from '../src/stores/sqlite/progress-reader.js';
import { SqliteEventReader } from '../src/stores/sqlite/reader.js';
import { useLogFile } from './support/temp-dir.js';

/** The registry of a later sessionlog: SessionStarted at schema version 2. */
const later: EventRegistry = {
  ...sessionEventTypes,
  SessionStarted: {
    ...sessionEventTypes.SessionStarted,
    schemaVersion: 2,
    upcast: { 1: (data) => ({ ...(data as object), user: 'upcast' }) },
  },
};

/** What the logs below are made of. */
const data = { cwd: '/tmp', hostname: 'h', platform: 'linux' };
const change = { change: 'modified', path: 'a.ts', kind: 'file' } as const;

describe("verify's fold", () => {
  const logFile = useLogFile();

  // It reads less of each row than the other folds (no id, no hash, meta only when it is not
  // the plain one): what it folds must be what they fold, upcasting included.
  it('folds what a fold of whole rows folds, whether meta is the plain one or not', async () => {
    const log = openSessionlog({ db: logFile(), durability: 'normal' });
    await log.store.append('plain', [
      { type: 'SessionStarted', data },
      { type: 'FileChanged', data: change },
    ]);
    await log.store.append('asked', [
      { type: 'SessionStarted', data, meta: { requestId: 'r-1', actor: 'test' } },
      { type: 'FileChanged', data: change, meta: { requestId: 'r-1' } },
    ]);
    await log.close();
    const db = openDatabase(logFile(), { readonly: true });
    try {
      const fold = (reader: SqliteEventReader) => {
        const { rows } = new Fold(sessionsProjection).run(reader, reader.head());
        return [...rows.values()].map(({ row }) => row as SessionState);
      };
      const viaFoldRows = fold(new ProgressReader(db, later, () => {}));
      const viaRows = fold(new SqliteEventReader(db, later));
      expect(viaFoldRows).toEqual(viaRows);
      expect(viaFoldRows.map((row) => [row.id, row.user, row.fileChanges])).toEqual([
        ['plain', 'upcast', 1],
        ['asked', 'upcast', 1],
      ]);
      // Written under the current registry: nothing to upcast.
      const current = fold(new ProgressReader(db, sessionEventTypes, () => {}));
      expect(current.map((row) => row.user ?? null)).toEqual([null, null]);
    } finally {
      db.close();
    }
  });

  // A page of decoded events holds only the types the projection handles: a stop between
  // them must still see every event up to it applied, and none after.
  it('stops with the same rows at every position, read in pages of events or of whole rows', async () => {
    const log = openSessionlog({ db: logFile(), durability: 'normal' });
    for (const stream of ['a', 'b']) {
      await log.store.append(stream, [
        { type: 'SessionStarted', data },
        { type: 'FileChanged', data: change },
        { type: 'SessionUpdated', data: { name: 'n' } },
        { type: 'FileChanged', data: change },
      ]);
    }
    await log.close();
    /** Counts each stream's file changes: the only type it handles. */
    const changes: AnyProjection = {
      ...sessionsProjection,
      name: 'changes',
      handles: new Set(['FileChanged']),
      evolve: (row: number | null) => (row ?? 0) + 1,
    };
    const db = openDatabase(logFile(), { readonly: true });
    try {
      const atEachPosition = (reader: SqliteEventReader) => {
        const seen: string[] = [];
        const fold = new Fold(changes);
        const head = reader.head();
        const every = Array.from({ length: head }, (_, i) => i + 1);
        fold.run(reader, head, every, (position) =>
          seen.push(`${position}: ${JSON.stringify([...fold.rows])}`),
        );
        return seen;
      };
      const viaPages = atEachPosition(new ProgressReader(db, sessionEventTypes, () => {}));
      expect(viaPages).toEqual(atEachPosition(new SqliteEventReader(db, sessionEventTypes)));
      expect(viaPages[2]).toBe('3: [["a",{"row":1,"position":2}]]');
      expect(viaPages.at(-1)).toBe(
        '8: [["a",{"row":2,"position":4}],["b",{"row":2,"position":8}]]',
      );
    } finally {
      db.close();
    }
  });
});

describe('the sessions projection', () => {
  // It looks for lone surrogates only in the strings rows are made of: each of them counts.
  it('makes a well-formed row of an event with a lone surrogate in its stream, time or data', () => {
    const started = {
      type: 'SessionStarted',
      data: { cwd: '/tmp', hostname: 'h', platform: 'linux' },
      stream: 's',
      time: '2026-03-01T10:00:00.000Z',
      version: 1,
      position: 1,
    } as const;
    for (const event of [
      { ...started, stream: 's\ud800' },
      { ...started, time: '2026-03-01T10:00:00.000Z\udc00' },
      { ...started, data: { ...started.data, cwd: '/tmp\ud800' } },
    ]) {
      const row = sessionsProjection.evolve(null, event);
      expect(JSON.stringify(row).includes('\\ud'), JSON.stringify(event)).toBe(false);
      expect(JSON.stringify(row)).toContain('\uFFFD');
    }
  });
});
