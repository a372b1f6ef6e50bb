import type { AnyEvent, ProjectedEvent } from '../../events/envelope.js';
import type { EventVersions } from '../../events/event-types.js';
import type { AnyProjection } from '../../projections/projection.js';
import type { SqliteDatabase } from './database.js';
import {
  foldColumns,
  foldColumnsBesideContent,
  foldedColumns,
  foldedFromContent,
  ProgressReader,
} from './progress-reader.js';
import { bindTable } from './projection-table.js';
import { SqliteEventReader } from './reader.js';
import { SnapshotStore } from './snapshot-store.js';
import { ProjectionCheck } from './verify-projection.js';
import type { RowsFolded } from './verify-segment.js';

/** What the thread that checks a segment folds, as the main thread saw the log. */
export interface SegmentFoldPlan {
  /** Snapshots after this position are not looked at (written since the main thread looked). */
  snapshotsUpTo: number;
  /** The table's checkpoint, when it was built by this projection version. */
  table: { version: number; position: number } | undefined;
}

/** What a segment's fold found: enough for the main thread to trust it, or to fold again. */
export interface SegmentFoldReport {
  /** The snapshot the fold started from (0: the start of the log, no snapshot). */
  seed: number;
  /** The positions of the snapshots it compared with its fold, each its whole state. */
  checked: number[];
  /** Rows of snapshots or of the table that differ from the fold (0: all equal). */
  mismatches: number;
  /**
   * Whether the table's checkpoint is in the segment and the table was compared there, or
   * whether the table this thread sees is not the one the main thread saw (appended since).
   */
  table: 'compared' | 'elsewhere' | 'moved';
  /** Why the fold stopped (a row that does not parse, a seed that cannot be read). */
  failed?: string;
}

/**
 * The projection folded over a segment, (after, upTo], from the rows its chain check reads
 * (one read of each row: the fold's columns ride with the hashed content), seeded with the
 * stored snapshot at or before `after`, and compared with the snapshots and the table on the
 * way. The seed is taken on trust here: it is sound only if the segment that holds its
 * position found the snapshot equal to its own fold, which the main thread looks at
 * (foldedInSegments).
 */
export class SegmentFold implements RowsFolded {
  readonly #projection: AnyProjection;
  readonly #registry: EventVersions;
  readonly #seed: number;
  #table: SegmentFoldReport['table'];
  readonly #upTo: number;
  #check: ProjectionCheck | undefined;
  #stepping: ReturnType<ProjectionCheck['fold']['stepping']> | undefined;
  #failed: string | undefined;
  readonly #checked: number[] = [];

  constructor(
    db: SqliteDatabase,
    segment: { after: number; upTo: number },
    plan: SegmentFoldPlan,
    projection: AnyProjection,
    registry: EventVersions,
  ) {
    const { after, upTo } = segment;
    this.#projection = projection;
    this.#registry = registry;
    this.#upTo = upTo;
    this.columns = foldColumns(projection);
    this.columnsBesideContent = foldColumnsBesideContent(projection);
    const inSegment = plan.table !== undefined && plan.table.position > after;
    const here = inSegment && (plan.table?.position ?? 0) <= upTo;
    this.#table = 'elsewhere';
    const snapshots = new SnapshotStore(db);
    let seed = 0;
    try {
      if (here) this.#table = this.#sameTable(db, plan);
      const start =
        after === 0 ? undefined : snapshots.load(projection, Math.min(after, plan.snapshotsUpTo));
      seed = start?.position ?? 0;
      const reader = new SqliteEventReader(db, registry);
      const check = new ProjectionCheck({
        projection,
        reader,
        table:
          this.#table === 'compared' && plan.table !== undefined
            ? { rows: bindTable(db, projection, projection.name), position: plan.table.position }
            : undefined,
        snapshots,
        upTo,
        snapshotsUpTo: plan.snapshotsUpTo,
        ...(start === undefined ? {} : { seed: start }),
      });
      // From the seed to the segment: rows the segment before checks; this one folds them.
      check.fold.run(new ProgressReader(db, registry, () => {}), after);
      this.#check = check;
      this.#stepping = check.fold.stepping(check.stops(), (position) => {
        if (check.pending() === position) this.#checked.push(position);
        check.atStop(position);
      });
    } catch (error) {
      this.#failed = (error as Error).message;
    }
    this.#seed = seed;
  }

  readonly columns: string;
  readonly columnsBesideContent: string;

  add(position: number, row: readonly unknown[], at: number): void {
    if (this.#stepping === undefined) return;
    try {
      this.#apply(foldedColumns(position, row, at, this.#projection, this.#registry));
    } catch (error) {
      this.#fail(error);
    }
  }

  addWithContent(position: number, content: string, row: readonly unknown[], at: number): void {
    if (this.#stepping === undefined) return;
    try {
      this.#apply(foldedFromContent(position, content, row, at, this.#projection, this.#registry));
    } catch (error) {
      this.#fail(error);
    }
  }

  #apply(event: ProjectedEvent<AnyEvent> | undefined): void {
    if (event !== undefined) this.#stepping?.apply(event);
  }

  #fail(error: unknown): void {
    this.#failed = (error as Error).message;
    this.#stepping = undefined;
  }

  report(): SegmentFoldReport {
    try {
      this.#stepping?.end(this.#upTo);
    } catch (error) {
      this.#failed ??= (error as Error).message;
    }
    return {
      seed: this.#seed,
      checked: this.#checked,
      mismatches: this.#check?.mismatches.length ?? 0,
      table: this.#table,
      ...(this.#failed === undefined ? {} : { failed: this.#failed }),
    };
  }

  /** Whether this thread sees the table the main thread saw: the same checkpoint. */
  #sameTable(db: SqliteDatabase, plan: SegmentFoldPlan): SegmentFoldReport['table'] {
    const seen = db
      .prepare('SELECT version, position FROM projections WHERE name = ?')
      .get(this.#projection.name) as { version: number; position: number } | undefined;
    return seen?.version === plan.table?.version && seen?.position === plan.table?.position
      ? 'compared'
      : 'moved';
  }
}

/**
 * What the segments' folds stand for. `agree`: one fold of the whole log, 1..head, that agrees
 * with every snapshot and the table. `table not compared`: the same, but the thread whose
 * segment holds the table's checkpoint saw another table than the main thread (appended to
 * since): the caller compares the table itself, from a snapshot in `checked`. `fold again`:
 * anything else, above all a disagreement; the caller folds the log in one pass, which reports
 * it as verify always did.
 *
 * They agree when none failed, each found the snapshots and the table it compared equal to its
 * fold, and each seed is a snapshot that a segment before compared with its own fold. The
 * first segment starts from nothing; by induction every seed is then the fold at its
 * position, and every segment's fold is the one-pass fold's.
 */
export type SegmentsVerdict =
  | { kind: 'agree' }
  | { kind: 'table not compared'; checked: ReadonlySet<number> }
  | { kind: 'fold again' };

export function foldedInSegments(
  folds: readonly SegmentFoldReport[] | undefined,
  plan: SegmentFoldPlan,
  head: number,
): SegmentsVerdict {
  const again = { kind: 'fold again' } as const;
  if (folds === undefined || folds.length === 0 || plan.snapshotsUpTo > head) return again;
  const { table } = plan;
  if (table !== undefined && (table.position < 1 || table.position > head)) return again;
  const checked = new Set<number>();
  let compared = 0;
  let moved = 0;
  for (const fold of folds) {
    if (fold.failed !== undefined || fold.mismatches > 0) return again;
    if (fold.seed !== 0 && !checked.has(fold.seed)) return again;
    for (const position of fold.checked) checked.add(position);
    if (fold.table === 'compared') compared++;
    if (fold.table === 'moved') moved++;
  }
  const expected = table === undefined ? 0 : 1;
  if (compared === expected && moved === 0) return { kind: 'agree' };
  if (compared === 0 && moved === expected) return { kind: 'table not compared', checked };
  return again;
}
