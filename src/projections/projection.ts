import type { AnyEvent, Envelope } from '../events/envelope.js';
import type { SqliteDatabase } from '../stores/sqlite/database.js';

/** The storage a projection's rows live in: its table, or a scratch copy of it. */
export interface ProjectionTable<Row> {
  get(key: string): Row | undefined;
  put(row: Row): void;
  /** Every row, in key order. */
  rows(): Iterable<Row>;
}

/**
 * A read model built from the log: a keyed fold of events into rows, and the table that keeps
 * the rows. Rebuilding it is replaying the log into a fresh table; its state at a past
 * position is the same fold stopped there.
 */
export interface Projection<
  Row = unknown,
  Table extends ProjectionTable<Row> = ProjectionTable<Row>,
> {
  readonly name: string;
  /** Bump it when `evolve` or the table changes: the table is then rebuilt from the log at start. */
  readonly version: number;
  readonly handles: ReadonlySet<string>;
  /** The row an event belongs to. */
  keyOf(event: Envelope<AnyEvent>): string;
  keyOfRow(row: Row): string;
  evolve(row: Row | null, event: Envelope<AnyEvent>): Row | null;
  /** Creates the table (without its indexes, which `createIndexes` adds once it is filled). */
  createTable(db: SqliteDatabase, table: string): void;
  createIndexes(db: SqliteDatabase, table: string): void;
  /** The table's rows and the projection's own queries over them. */
  bind(db: SqliteDatabase, table: string): Table;
  /**
   * Optional: the same queries over rows held in memory, which `asOf` then uses instead of
   * filling a scratch table (the cost that remains once snapshots make the fold short). They
   * must answer exactly as `bind`'s do, order included: the projection's tests compare them.
   */
  inMemory?(rows: Map<string, Row>): Table;
}

/** Any projection, whatever its row type: what the machinery that runs projections holds. */
// biome-ignore lint/suspicious/noExplicitAny: a list of projections of different row types
export type AnyProjection = Projection<any, ProjectionTable<any>>;
