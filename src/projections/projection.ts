import type { AnyEvent, ProjectedEvent } from '../events/envelope.js';
import type { FoldedTypes } from '../events/event-row.js';

/** The storage a projection's rows live in: its table, or a scratch copy of it. */
export interface ProjectionTable<Row> {
  get(key: string): Row | undefined;
  put(row: Row): void;
  /** Every row, in key order. */
  rows(): Iterable<Row>;
}

/** A column of a projection's table: its name in SQL, the row field it holds, and its type. */
export interface Column<Row> {
  column: string;
  field: keyof Row & string;
  type: 'text' | 'integer';
  /** Holds null for some rows. */
  nullable?: boolean;
  /** Set by the row's first event and never changed by `evolve`: an upsert leaves it alone. */
  fixed?: boolean;
}

/**
 * A projection's table, described once for every store: the stores make their DDL, their
 * upsert, their selects and the in-memory table of `asOf` from it, so they cannot disagree.
 */
export interface TableShape<Row, Filter extends keyof Row & string = never> {
  /** In the order a row's fields have (the first is the key): rows read back keep it. */
  columns: readonly Column<Row>[];
  /**
   * What `list` answers: the rows whose `omitted` field is null, optionally only those whose
   * `filter` field equals a value, in `order` (text compared as code points in every store).
   * The table's one index, `index`, serves it.
   */
  list: {
    index: string;
    omitted: keyof Row & string;
    filter: Filter;
    order: readonly { field: keyof Row & string; descending?: boolean }[];
  };
  /**
   * What `page` answers: the rows `list` keeps, in `order`, every field descending (the last
   * is the key, so the values of a page's last row in it say where the next page starts);
   * optionally only those whose `filter` field is one of some values, or one of whose `search`
   * fields contains a text, ASCII letters compared without case. The index `index` serves it.
   */
  page: {
    index: string;
    order: readonly (keyof Row & string)[];
    search: readonly (keyof Row & string)[];
  };
}

/** One page of a table (see TableShape's `page`). */
export interface PageQuery<Row, Filter extends keyof Row & string = never> {
  /** At most this many rows. */
  limit: number;
  /** The `order` values of the previous page's last row: the rows after it. */
  after?: readonly (string | number)[];
  /** Only the rows whose filter field is one of these. */
  filter?: readonly Row[Filter][];
  /** Only the rows one of whose `search` fields contains this (see `foldCase`). */
  search?: string;
}

/**
 * The case folding `page`'s search uses in every store: A–Z to a–z, nothing else (SQLite's
 * `lower()` without ICU, PostgreSQL's under the "C" collation). So `É` matches only `É`, and
 * the stores and the in-memory table answer the same whatever the database's locale.
 */
export function foldCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** The rows `list` answers, narrowed to those whose filter field has the value given. */
export type ListFilter<Row, Filter extends keyof Row & string> = { [K in Filter]?: Row[K] };

/** A projection's rows and its query, wherever they are kept. */
export interface ListedTable<Row, Filter extends keyof Row & string = never>
  extends ProjectionTable<Row> {
  list(filter?: ListFilter<Row, Filter>): Row[];
  page(query: PageQuery<Row, Filter>): Row[];
}

/**
 * A read model built from the log: a keyed fold of events into rows, and the shape of the
 * table that keeps them. No store in it: each store makes the table from `table`. Rebuilding
 * it is replaying the log into a fresh table; its state at a past position is the same fold
 * stopped there.
 */
export interface Projection<Row = unknown, Filter extends keyof Row & string = never>
  extends FoldedTypes {
  readonly name: string;
  /** Bump it when `evolve` or the table changes: the table is then rebuilt from the log at start. */
  readonly version: number;
  /** The row an event belongs to. */
  keyOf(event: ProjectedEvent<AnyEvent>): string;
  keyOfRow(row: Row): string;
  evolve(row: Row | null, event: ProjectedEvent<AnyEvent>): Row | null;
  readonly table: TableShape<Row, Filter>;
}

/** Any projection, whatever its row type: what the machinery that runs projections holds. */
// biome-ignore lint/suspicious/noExplicitAny: a list of projections of different row types
export type AnyProjection = Projection<any, any>;

/** The table type a store gives for a projection. */
export type TableOf<P> =
  P extends Projection<infer Row, infer Filter> ? ListedTable<Row, Filter> : never;
