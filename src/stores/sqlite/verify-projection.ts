import { sameCanonicalJson } from '../../events/same-json.js';
import { Fold, type FoldedRow } from '../../projections/fold.js';
import type { ProjectionMismatch } from '../../projections/mismatch.js';
import type { AnyProjection, ProjectionTable } from '../../projections/projection.js';
import type { SqliteDatabase } from './database.js';
import type { SqliteProjections } from './projections.js';
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
  const head = reader.head();
  const check = new ProjectionCheck({ projection, reader, table, snapshots, upTo: head });
  check.fold.run(reader, head, check.stops(), (position) => check.atStop(position));
  const { mismatches } = check;
  // Whatever was built beyond the head was made from events the log no longer has.
  const truncated = (at: number) => `(built up to position ${at}, but the log ends at ${head})`;
  if (table !== undefined && table.position > head)
    check.problem('table', head + 1, truncated(table.position));
  const beyond = check.pending();
  if (beyond !== undefined) check.problem('snapshot', head + 1, truncated(beyond));
  return {
    mismatches: mismatches.sort((a, b) => a.position - b.position),
    snapshots: check.checked,
  };
}

/**
 * Compares every projection's table, and each of its snapshots, with a fresh fold of the log
 * and returns the disagreements, earliest position first.
 */
export function verifyProjections(
  db: SqliteDatabase,
  projections: SqliteProjections,
): ProjectionMismatch[] {
  return db.transaction(() =>
    projections.names
      .flatMap((name) => verifyProjection(projections.verifyTarget(name)).mismatches)
      .sort((a, b) => a.position - b.position),
  )();
}

/**
 * Compares a projection's table with the fold at its checkpoint, folded from the latest
 * snapshot at or before it, which must be one of `trusted` (snapshots known to equal a fresh
 * fold of the log) or none: verify's table check when its threads saw another table. Undefined
 * when it cannot tell so (the snapshot is not trusted, or cannot be read).
 */
export function verifyTableFrom(
  db: SqliteDatabase,
  { projection, reader, table, snapshots }: VerifyTarget,
  trusted: ReadonlySet<number>,
): ProjectionMismatch[] | undefined {
  if (table === undefined) return [];
  return db.transaction(() => {
    let seed: ReturnType<SnapshotStore['load']>;
    try {
      seed = snapshots.load(projection, table.position);
    } catch {
      return undefined;
    }
    if (seed.position !== 0 && !trusted.has(seed.position)) return undefined;
    const upTo = table.position;
    const check = new ProjectionCheck({
      projection,
      reader,
      table,
      snapshots,
      upTo,
      seed,
      snapshotsUpTo: seed.position,
    });
    check.fold.run(reader, upTo, check.stops(), (at) => check.atStop(at));
    return check.mismatches;
  })();
}

/** Where a check's fold starts: the rows a snapshot holds at its position (it is not checked). */
export interface CheckSeed {
  position: number;
  rows: Map<string, FoldedRow>;
}

/**
 * A fold of a run of the log, (seed, upTo], and the comparisons on its way: each snapshot at
 * its position (those up to `snapshotsUpTo`) and the table at its checkpoint when that is in
 * the run. The caller runs `fold` with `stops()` and `atStop`. From a seed it is sound only if
 * the seed equals the fold of the log at its position: a check of the run before says so.
 */
export class ProjectionCheck {
  readonly fold: Fold;
  readonly mismatches: ProjectionMismatch[] = [];
  /** Snapshots compared. */
  checked = 0;
  readonly #projection: AnyProjection;
  readonly #reader: SqliteEventReader;
  readonly #table: VerifyTarget['table'];
  readonly #snapshots: SnapshotStore;
  readonly #upTo: number;
  readonly #snapshotsUpTo: number;
  /** The state the snapshots hold, delta by delta, and the keys the fold changed since the last. */
  readonly #stored = new Map<string, unknown>();
  readonly #sinceSnapshot = new Set<string>();
  #snapshot: SnapshotRecord | undefined;

  constructor(target: VerifyTarget & { upTo: number; seed?: CheckSeed; snapshotsUpTo?: number }) {
    const { projection, reader, table, snapshots, upTo, seed } = target;
    this.#projection = projection;
    this.#reader = reader;
    this.#table = table;
    this.#snapshots = snapshots;
    this.#upTo = upTo;
    this.#snapshotsUpTo = target.snapshotsUpTo ?? Number.POSITIVE_INFINITY;
    for (const [key, { row }] of seed?.rows ?? []) this.#stored.set(key, row);
    this.fold = new Fold(projection, seed);
    this.#snapshot = this.#within(snapshots.next(projection, seed?.position ?? 0));
  }

  /** The snapshots' positions and the table's checkpoint, in order, up to `upTo`. */
  *stops(): Generator<number> {
    let tableDue = this.#table !== undefined;
    for (;;) {
      const next = Math.min(
        this.#snapshot?.position ?? Infinity,
        tableDue ? (this.#table?.position ?? 0) : Infinity,
      );
      if (next > this.#upTo) return;
      if (next === this.#table?.position) tableDue = false;
      yield next;
    }
  }

  atStop(position: number): void {
    for (const key of this.fold.changed) this.#sinceSnapshot.add(key);
    if (this.#snapshot?.position === position) {
      this.#checkSnapshot(this.#snapshot);
      this.#snapshot = this.#within(this.#snapshots.next(this.#projection, position));
    }
    if (this.#table?.position === position) this.#checkTable(this.#table.rows);
  }

  /** The position of the first snapshot not reached (beyond `upTo`); undefined: none. */
  pending(): number | undefined {
    return this.#snapshot?.position;
  }

  problem(inWhat: 'table' | 'snapshot', position: number, key: string): void {
    this.mismatches.push({
      projection: this.#projection.name,
      in: inWhat,
      key,
      position,
      stored: null,
      fold: null,
    });
  }

  #within(snapshot: SnapshotRecord | undefined): SnapshotRecord | undefined {
    return snapshot !== undefined && snapshot.position <= this.#snapshotsUpTo
      ? snapshot
      : undefined;
  }

  #compare(inWhat: 'table' | 'snapshot', position: number, key: string, at: unknown): void {
    const folded = this.fold.rows.get(key);
    if (folded !== undefined && at !== undefined && sameCanonicalJson(at, folded.row)) return;
    this.mismatches.push({
      projection: this.#projection.name,
      in: inWhat,
      key,
      position: inWhat === 'table' ? (folded?.position ?? 0) : position,
      stored: at ?? null,
      fold: folded?.row ?? null,
    });
  }

  #checkSnapshot(record: SnapshotRecord): void {
    this.checked++;
    if (this.#asFolded(record)) {
      this.#checkHash(record);
      this.#sinceSnapshot.clear();
      return;
    }
    const stored = this.#stored;
    const keys = record.full
      ? new Set([...this.fold.rows.keys(), ...stored.keys()])
      : this.#sinceSnapshot;
    if (record.full) stored.clear();
    for (const row of record.rows()) {
      const key = this.#projection.keyOfRow(row);
      stored.set(key, row);
      keys.add(key);
    }
    this.#checkHash(record);
    for (const key of keys) this.#compare('snapshot', record.position, key, stored.get(key));
    this.#sinceSnapshot.clear();
  }

  #checkHash(record: SnapshotRecord): void {
    const [event] = this.#reader.rows({ after: record.position - 1, upTo: record.position });
    if (event?.hash !== record.hash) {
      this.problem(
        'snapshot',
        record.position,
        "(folded from another log: its hash is not the event's)",
      );
    }
  }

  /**
   * Whether the snapshot's text is, character for character, what a snapshot of this fold
   * stores at its position (the rows changed since the previous one, or every row, in the
   * fold's order, as JSON.stringify writes them): then every row it holds equals the fold's,
   * and the fold's rows stand for them from here on. It decides only "equal": anything else
   * (another order, another writer, a lone surrogate that decoding makes U+FFFD, a row the
   * snapshots held that the fold has not) is compared row by row, as the text is decoded. On
   * a big log this spares decoding and comparing each snapshot's rows: a tenth of the fold.
   */
  #asFolded(record: SnapshotRecord): boolean {
    const { rows } = this.fold;
    const keys = record.full ? rows.keys() : this.#sinceSnapshot.values();
    const expected: unknown[] = [];
    const made: string[] = [];
    for (const key of keys) {
      const row = rows.get(key)?.row;
      if (row === undefined || this.#projection.keyOfRow(row) !== key) return false;
      expected.push(row);
      made.push(key);
    }
    if (record.full) {
      for (const key of this.#stored.keys()) if (!rows.has(key)) return false;
    }
    if (record.text.includes('\\ud') || JSON.stringify(expected) !== record.text) return false;
    if (record.full) this.#stored.clear();
    for (const [i, key] of made.entries()) this.#stored.set(key, expected[i]);
    return true;
  }

  #checkTable(rows: ProjectionTable<unknown>): void {
    const seen = new Set<string>();
    for (const row of rows.rows()) {
      const key = this.#projection.keyOfRow(row);
      seen.add(key);
      this.#compare('table', 0, key, row);
    }
    for (const key of this.fold.rows.keys()) {
      if (!seen.has(key)) this.#compare('table', 0, key, undefined);
    }
  }
}
