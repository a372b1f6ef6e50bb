import { deflateSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sessionEventTypes } from '../src/events/schemas.js';
import { sessionsProjection } from '../src/projections/sessions-projection.js';
import { openDatabase } from '../src/stores/sqlite/database.js';
import { SqliteProjections } from '../src/stores/sqlite/projections.js';
import { SqliteEventReader } from '../src/stores/sqlite/reader.js';
import { verifySqliteLog } from '../src/stores/sqlite/verify.js';
import { verifyTableFrom } from '../src/stores/sqlite/verify-projection.js';
import {
  foldedInSegments,
  type SegmentFoldPlan,
} from '../src/stores/sqlite/verify-segment-fold.js';
import { checkSegments } from '../src/stores/sqlite/verify-segments.js';
import { useLogFile } from './support/temp-dir.js';
import { tamper, writeTwelveEventLog } from './support/twelve-events.js';

/** What verify says, in three segments of four events, or in one. */
async function verify(file: string, segments: 1 | 3): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const out = {
    log: (line: string) => lines.push(line),
    error: (line: string) => lines.push(line),
  };
  const code = await verifySqliteLog(file, out, undefined, { segments, block: 4 });
  return { code, output: lines.join('\n') };
}

/**
 * What verify says in three segments, held equal to what it says in one pass. On the twelve
 * events with a snapshot every 4 (4 full, 8 a delta, 12 full) and blocks of 4 leaves, the
 * second segment starts from the snapshot at 4 and the third from the one at 8.
 */
async function verifyAsOnePass(file: string): Promise<{ code: number; output: string }> {
  const inSegments = await verify(file, 3);
  expect(inSegments).toEqual(await verify(file, 1));
  return inSegments;
}

/** The plan verify gives the threads on the intact twelve-event log. */
const plan: SegmentFoldPlan = { snapshotsUpTo: 12, table: { version: 1, position: 12 } };

/** The main thread's table check from the snapshots `trusted`, on the log file as verify opens it. */
function tableFromFile(file: string, trusted: ReadonlySet<number>) {
  const db = openDatabase(file, { readonly: true });
  try {
    const reader = new SqliteEventReader(db, sessionEventTypes);
    const projections = new SqliteProjections(db, reader, [sessionsProjection]);
    return verifyTableFrom(db, projections.verifyTarget(sessionsProjection.name), trusted);
  } finally {
    db.close();
  }
}

describe('verify folds each segment in its own thread', () => {
  const logFile = useLogFile();

  it('starts each segment from the snapshot before it, each seed compared by the segment before', async () => {
    await writeTwelveEventLog(logFile());
    const { folds } = await checkSegments(logFile(), 12, 3, 4, { fold: plan }).report;
    expect(
      folds?.map(({ after, seed, checked, table }) => ({ after, seed, checked, table })),
    ).toEqual([
      { after: 0, seed: 0, checked: [4], table: 'elsewhere' },
      { after: 4, seed: 4, checked: [8], table: 'elsewhere' },
      { after: 8, seed: 8, checked: [12], table: 'compared' },
    ]);
    expect(foldedInSegments(folds, plan, 12)).toEqual({ kind: 'agree' });
    const inSegments = await verifyAsOnePass(logFile());
    expect(inSegments.output).toContain(
      'snapshots    sessions: 3 up to position 12 (2 full), each equals the fold at its position',
    );
    expect(inSegments.code).toBe(0);
  });

  it('names a seeding snapshot that was edited, as one pass does', async () => {
    const [first] = await writeTwelveEventLog(logFile());
    // The third segment starts from this snapshot: its own fold would agree with the forgery.
    tamper(
      logFile(),
      'UPDATE projection_snapshots SET data = ?, row_count = 1 WHERE position = 8',
      deflateSync(JSON.stringify([{ id: first, name: 'forged' }])),
    );
    const { folds } = await checkSegments(logFile(), 12, 3, 4, { fold: plan }).report;
    expect(folds?.[1]?.mismatches).toBeGreaterThan(0);
    expect(foldedInSegments(folds, plan, 12)).toEqual({ kind: 'fold again' });
    const inSegments = await verifyAsOnePass(logFile());
    expect(inSegments.output).toMatch(
      /snapshots {4}sessions DISAGREES at position 8: row session-\S+ \(3 row\(s\) differ\)/,
    );
    expect(inSegments.output).toContain('FAILED: first disagreement at position 8');
    expect(inSegments.code).toBe(1);
  });

  it('names a seeding snapshot folded from another log, as one pass does', async () => {
    await writeTwelveEventLog(logFile());
    tamper(
      logFile(),
      'UPDATE projection_snapshots SET hash = ? WHERE position = 4',
      'f'.repeat(64),
    );
    const inSegments = await verifyAsOnePass(logFile());
    expect(inSegments.output).toContain(
      "snapshots    sessions DISAGREES at position 4: row (folded from another log: its hash is not the event's)",
    );
    expect(inSegments.code).toBe(1);
  });

  it('names a table row edited behind the log, as one pass does', async () => {
    const [first] = await writeTwelveEventLog(logFile());
    tamper(logFile(), 'UPDATE sessions SET name = ? WHERE id = ?', 'edited', first);
    const inSegments = await verifyAsOnePass(logFile());
    expect(inSegments.output).toMatch(/projections {2}sessions DISAGREES at position \d+: row /);
    expect(inSegments.code).toBe(1);
  });

  it('starts from an earlier snapshot, or from the start, when the one before a segment is missing', async () => {
    await writeTwelveEventLog(logFile());
    tamper(logFile(), 'DELETE FROM projection_snapshots WHERE position = 8');
    const withoutEight = { ...plan, snapshotsUpTo: 12 };
    const { folds } = await checkSegments(logFile(), 12, 3, 4, { fold: withoutEight }).report;
    expect(folds?.map(({ seed }) => seed)).toEqual([0, 4, 4]);
    expect(foldedInSegments(folds, withoutEight, 12)).toEqual({ kind: 'agree' });
    expect((await verify(logFile(), 3)).code).toBe(0);

    tamper(logFile(), 'DELETE FROM projection_snapshots');
    const none = { ...plan, snapshotsUpTo: 0 };
    const fromStart = await checkSegments(logFile(), 12, 3, 4, { fold: none }).report;
    expect(fromStart.folds?.map(({ seed }) => seed)).toEqual([0, 0, 0]);
    expect(foldedInSegments(fromStart.folds, none, 12)).toEqual({ kind: 'agree' });
    const inSegments = await verify(logFile(), 3);
    expect(inSegments.output).toContain('snapshots    sessions: none yet');
    expect(inSegments.code).toBe(0);
  });

  it('names an event edited behind the store, as one pass does', async () => {
    await writeTwelveEventLog(logFile());
    const raw = new Database(logFile());
    raw.exec('DROP TRIGGER events_no_update');
    raw.prepare('UPDATE events SET data = ? WHERE position = 6').run('{"name":"edited"}');
    raw.close();
    const inSegments = await verifyAsOnePass(logFile());
    expect(inSegments.output).toContain('chain        BROKEN at position 6');
    expect(inSegments.code).toBe(1);
  });

  // Its content text is NULL (json_quote refuses a BLOB): the fold reads that row's columns.
  it('folds a row whose content text cannot be made, a column not text, from its columns', async () => {
    await writeTwelveEventLog(logFile());
    const raw = new Database(logFile());
    raw.exec('DROP TRIGGER events_no_update');
    raw.prepare('UPDATE events SET id = CAST(id AS BLOB) WHERE position = 6').run();
    raw.close();
    const { folds } = await checkSegments(logFile(), 12, 3, 4, { fold: plan }).report;
    // The chain breaks there; the fold does not: each segment's agrees with what it compared.
    expect(folds?.map(({ mismatches, failed }) => ({ mismatches, failed }))).toEqual(
      Array(3).fill({ mismatches: 0, failed: undefined }),
    );
    expect(foldedInSegments(folds, plan, 12)).toEqual({ kind: 'agree' });
    const inSegments = await verifyAsOnePass(logFile());
    expect(inSegments.output).toContain('chain        BROKEN at position 6');
    expect(inSegments.code).toBe(1);
  });

  // An append between the main thread's read and the thread's: the table it sees is not the
  // one the main thread compares. The main thread then compares its own, from a snapshot the
  // threads found equal to the fold.
  it('leaves the table to the main thread when its thread saw another one, from a snapshot found equal', async () => {
    const [first] = await writeTwelveEventLog(logFile());
    const seenBefore: SegmentFoldPlan = { ...plan, table: { version: 1, position: 11 } };
    const { folds } = await checkSegments(logFile(), 12, 3, 4, { fold: seenBefore }).report;
    expect(folds?.map(({ table }) => table)).toEqual(['elsewhere', 'elsewhere', 'moved']);
    const verdict = foldedInSegments(folds, seenBefore, 12);
    const tableFrom = (trusted: ReadonlySet<number>) => tableFromFile(logFile(), trusted);
    expect(verdict).toEqual({ kind: 'table not compared', checked: new Set([4, 8, 12]) });

    expect(tableFrom(new Set([4, 8, 12]))).toEqual([]);
    // Not from a snapshot nobody compared.
    expect(tableFrom(new Set([4, 8]))).toBeUndefined();
    tamper(logFile(), 'UPDATE sessions SET name = ? WHERE id = ?', 'edited', first);
    const found = tableFrom(new Set([4, 8, 12]));
    expect(found?.map(({ in: where, key, stored }) => [where, key, stored])).toEqual([
      ['table', first, expect.objectContaining({ name: 'edited' })],
    ]);
  });
});
