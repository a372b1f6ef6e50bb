import { sameCanonicalJson } from '../../events/same-json.js';
import { Fold } from '../../projections/fold.js';
import type { ProjectionMismatch } from '../../projections/mismatch.js';
import type { AnyProjection, ProjectionTable } from '../../projections/projection.js';
import type { SqliteEventReader } from './reader.js';
import type { SnapshotRecord, SnapshotStore } from './snapshot-store.js';

export interface VerifyTarget {
  projection: AnyProjection;
  reader: SqliteEventReader;
  /** The table and the position it claims to reflect; undefined when it was never built. */
  table: { rows: ProjectionTable<unknown>; position: number } | undefined;
  snapshots: SnapshotStore;
}

/**
 * Folds the log once and compares, on the way, every snapshot at its position and the table at
 * its checkpoint. A delta snapshot is checked on the rows that changed since the previous
 * snapshot in the fold or in the snapshot: the earlier ones were equal already, so the whole
 * state is compared at the cost of the changes, and verify stays one pass over the log.
 */
export function verifyProjection(target: VerifyTarget): {
  mismatches: ProjectionMismatch[];
  snapshots: number;
} {
  const { projection, reader, table, snapshots } = target;
  const mismatches: ProjectionMismatch[] = [];
  const head = reader.head();
  const fold = new Fold(projection);
  /** The state the snapshots hold, delta by delta, and the keys the fold changed since the last. */
  const stored = new Map<string, unknown>();
  const sinceSnapshot = new Set<string>();
  let snapshot = snapshots.next(projection, 0);
  let checked = 0;

  const compare = (inWhat: 'table' | 'snapshot', position: number, key: string, at: unknown) => {
    const folded = fold.rows.get(key);
    if (folded !== undefined && at !== undefined && sameCanonicalJson(at, folded.row)) return;
    mismatches.push({
      projection: projection.name,
      in: inWhat,
      key,
      position: inWhat === 'table' ? (folded?.position ?? 0) : position,
      stored: at ?? null,
      fold: folded?.row ?? null,
    });
  };
  const problem = (inWhat: 'table' | 'snapshot', position: number, key: string) =>
    mismatches.push({
      projection: projection.name,
      in: inWhat,
      key,
      position,
      stored: null,
      fold: null,
    });

  const checkSnapshot = (record: SnapshotRecord) => {
    checked++;
    const keys = record.full ? new Set([...fold.rows.keys(), ...stored.keys()]) : sinceSnapshot;
    if (record.full) stored.clear();
    for (const row of record.rows) {
      const key = projection.keyOfRow(row);
      stored.set(key, row);
      keys.add(key);
    }
    const [event] = reader.rows({ after: record.position - 1, upTo: record.position });
    if (event?.hash !== record.hash) {
      problem(
        'snapshot',
        record.position,
        "(folded from another log: its hash is not the event's)",
      );
    }
    for (const key of keys) compare('snapshot', record.position, key, stored.get(key));
    sinceSnapshot.clear();
  };
  const checkTable = (rows: ProjectionTable<unknown>) => {
    const seen = new Set<string>();
    for (const row of rows.rows()) {
      const key = projection.keyOfRow(row);
      seen.add(key);
      compare('table', 0, key, row);
    }
    for (const key of fold.rows.keys()) if (!seen.has(key)) compare('table', 0, key, undefined);
  };

  // The snapshots' positions and the table's checkpoint, in order, up to the head.
  function* stops(): Generator<number> {
    let tableDue = table !== undefined;
    for (;;) {
      const next = Math.min(
        snapshot?.position ?? Infinity,
        tableDue ? (table?.position ?? 0) : Infinity,
      );
      if (next > head) return;
      if (next === table?.position) tableDue = false;
      yield next;
    }
  }
  fold.run(reader, head, stops(), (position) => {
    for (const key of fold.changed) sinceSnapshot.add(key);
    if (snapshot?.position === position) {
      checkSnapshot(snapshot);
      snapshot = snapshots.next(projection, position);
    }
    if (table?.position === position) checkTable(table.rows);
  });
  // Whatever was built beyond the head was made from events the log no longer has.
  const truncated = (at: number) => `(built up to position ${at}, but the log ends at ${head})`;
  if (table !== undefined && table.position > head)
    problem('table', head + 1, truncated(table.position));
  if (snapshot !== undefined) problem('snapshot', head + 1, truncated(snapshot.position));
  return { mismatches: mismatches.sort((a, b) => a.position - b.position), snapshots: checked };
}
