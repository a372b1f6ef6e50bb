import {
  type AnyProjection,
  type Column,
  foldCase,
  type PageQuery,
  type TableOf,
} from '../../projections/projection.js';
import type { SqliteDatabase, Statement } from './database.js';

const quote = (name: string) => `"${name}"`;

/** The columns, read back under their row fields' names (in the rows' field order). */
export function selectList(columns: readonly Column<unknown>[]): string {
  return columns
    .map(({ column, field }) =>
      column === field ? quote(column) : `${quote(column)} AS ${quote(field)}`,
    )
    .join(', ');
}

const SQLITE_TYPES = { text: 'TEXT', integer: 'INTEGER' } as const;

/** Creates the projection's table (without its index, which `createIndex` adds once it is filled). */
export function createTable(db: SqliteDatabase, projection: AnyProjection, table: string): void {
  const [key, ...rest] = projection.table.columns as readonly Column<unknown>[];
  if (key === undefined) throw new Error(`the ${projection.name} projection has no columns`);
  const columns = [
    `${quote(key.column)} ${SQLITE_TYPES[key.type]} PRIMARY KEY`,
    ...rest.map(
      (c) => `${quote(c.column)} ${SQLITE_TYPES[c.type]}${c.nullable ? '' : ' NOT NULL'}`,
    ),
  ];
  db.exec(`CREATE TABLE ${table} (\n  ${columns.join(',\n  ')}\n) STRICT`);
}

/**
 * The indexes that `list` and `page` read by, in ascending order: both read newest first, by
 * scanning them backwards, and a new session's entries then land at their right edge, where
 * SQLite appends to a page, instead of at the left, where each insert rebalanced two pages or
 * more (two frames more of the WAL in every commit). A table built before `page` existed gets
 * its index when the log is opened; one whose index an older sessionlog made in descending
 * order gets it made again.
 */
export function createIndex(db: SqliteDatabase, projection: AnyProjection, table: string): void {
  const { index, omitted, order } = projection.table.list;
  const kept = `WHERE ${quote(columnOf(projection, omitted))} IS NULL`;
  // The reverse of the order `list` reads in (newest first): scanned backwards, it is that.
  const listed = order.map(
    (o) => `${quote(columnOf(projection, o.field))}${o.descending ? '' : ' DESC'}`,
  );
  ensureIndex(db, `${table}_${index}`, `${table} (${listed.join(', ')}) ${kept}`);
  const page = projection.table.page;
  const paged = page.order.map((field: string) => quote(columnOf(projection, field)));
  ensureIndex(db, `${table}_${page.index}`, `${table} (${paged.join(', ')}) ${kept}`);
}

/** Creates the index `name` ON `definition`, or makes it again if it is defined otherwise. */
function ensureIndex(db: SqliteDatabase, name: string, definition: string): void {
  const sql = `CREATE INDEX ${name} ON ${definition}`;
  const found = db
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
    .pluck()
    .get(name);
  if (found === sql) return;
  if (found !== undefined) db.exec(`DROP INDEX ${name}`);
  db.exec(sql);
}

/** What `list` answers, as SQL: `filtered` adds a `?` for the filter field's value. */
/** What `list` answers, as SQL: `filterValues` placeholders for the filter (none: every row). */
export function listSql(projection: AnyProjection, table: string, filterValues: number): string {
  const { omitted, filter, order } = projection.table.list;
  const selected = selectList(projection.table.columns as readonly Column<unknown>[]);
  const where = [`${quote(columnOf(projection, omitted))} IS NULL`];
  if (filterValues > 0 && filter !== undefined) {
    const placeholders = Array.from({ length: filterValues }, () => '?').join(', ');
    where.push(`${quote(columnOf(projection, filter))} IN (${placeholders})`);
  }
  return `SELECT ${selected} FROM ${table} WHERE ${where.join(' AND ')}
    ORDER BY ${order.map((o) => `${quote(columnOf(projection, o.field))}${o.descending ? ' DESC' : ''}`).join(', ')}`;
}

/**
 * What `page` answers, as SQL with named parameters: @a0, @a1, … the cursor's values, @f0,
 * @f1, … the filter's, @search the folded text, @limit.
 */
function pageSql(
  projection: AnyProjection,
  table: string,
  query: PageQuery<unknown, never>,
): string {
  const { omitted, filter } = projection.table.list;
  const { order, search } = projection.table.page;
  const columns = order.map((field: string) => quote(columnOf(projection, field)));
  const where = [`${quote(columnOf(projection, omitted))} IS NULL`];
  if (query.after !== undefined) {
    where.push(
      `(${columns.join(', ')}) < (${columns.map((_: string, i: number) => `@a${i}`).join(', ')})`,
    );
  }
  if (query.filter !== undefined) {
    const values = query.filter.map((_, i) => `@f${i}`);
    where.push(`${quote(columnOf(projection, filter))} IN (${values.join(', ')})`);
  }
  if (query.search !== undefined) {
    // lower() folds A–Z only (no ICU in this build), as foldCase does; instr, not LIKE, so
    // that `%` and `_` are plain characters.
    const found = search.map(
      (field: string) => `instr(lower(${quote(columnOf(projection, field))}), @search) > 0`,
    );
    where.push(`(${found.join(' OR ')})`);
  }
  return `SELECT ${selectList(projection.table.columns as readonly Column<unknown>[])} FROM ${table}
    WHERE ${where.join(' AND ')}
    ORDER BY ${columns.map((c: string) => `${c} DESC`).join(', ')} LIMIT @limit`;
}

/** The named parameters of `pageSql`. */
function pageParams(query: PageQuery<unknown, never>): Record<string, unknown> {
  const params: Record<string, unknown> = { limit: query.limit };
  query.after?.forEach((value, i) => {
    params[`a${i}`] = value;
  });
  query.filter?.forEach((value, i) => {
    params[`f${i}`] = value;
  });
  if (query.search !== undefined) params.search = foldCase(query.search);
  return params;
}

/** The table's rows and the projection's `list` over them. */
export function bindTable<P extends AnyProjection>(
  db: SqliteDatabase,
  projection: P,
  table: string,
): TableOf<P> {
  const columns = projection.table.columns as readonly Column<unknown>[];
  const [key] = columns;
  if (key === undefined) throw new Error(`the ${projection.name} projection has no columns`);
  const { filter } = projection.table.list;
  const selected = selectList(columns);
  const get = db.prepare(`SELECT ${selected} FROM ${table} WHERE ${quote(key.column)} = ?`);
  // An upsert, not INSERT OR REPLACE: replacing deletes and reinserts the row, index entries
  // and all, on every event. The columns an event never changes are left alone.
  const changing = columns.filter((c) => c !== key && !c.fixed);
  // Positional parameters: binding by name looks each one up on the row, in C++, on every put.
  const put = db.prepare(`INSERT INTO ${table} (${columns.map((c) => quote(c.column)).join(', ')})
    VALUES (${columns.map(() => '?').join(', ')})
    ON CONFLICT (${quote(key.column)}) DO UPDATE SET
    ${changing.map((c) => `${quote(c.column)} = excluded.${quote(c.column)}`).join(', ')}`);
  // Raw, each row made here: better-sqlite3 makes an object a field at a time, at twice the cost.
  const rows = db
    .prepare(`SELECT ${selected} FROM ${table} ORDER BY ${quote(key.column)}`)
    .raw(true);
  const fields: readonly string[] = columns.map((c) => c.field);
  const listAll = db.prepare(listSql(projection, table, 0));
  const listFiltered = filter === undefined ? listAll : db.prepare(listSql(projection, table, 1));
  // One statement per shape of query (cursor or not, how many filter values, search or not).
  const pages = new Map<string, Statement>();
  const bound = {
    get: (id: string) => get.get(id),
    put: (row: unknown) => put.run(columnValues(columns, row)),
    rows: function* () {
      for (const values of rows.iterate() as IterableIterator<unknown[]>) {
        const row: Record<string, unknown> = {};
        for (let i = 0; i < fields.length; i++) row[fields[i] as string] = values[i];
        yield row;
      }
    },
    list: (wanted: Record<string, unknown> = {}) => {
      const value = filter === undefined ? undefined : wanted[filter];
      return value === undefined ? listAll.all() : listFiltered.all(value);
    },
    page: (query: PageQuery<unknown, never>) => {
      const sql = pageSql(projection, table, query);
      let statement = pages.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        pages.set(sql, statement);
      }
      return statement.all(pageParams(query));
    },
  };
  return bound as unknown as TableOf<P>;
}

/** The row's values in column order; a field the row lacks is a bug, never a NULL. */
function columnValues(columns: readonly Column<unknown>[], row: unknown): unknown[] {
  const values: unknown[] = [];
  for (const { field } of columns) {
    const value = (row as Record<string, unknown>)[field];
    if (value === undefined) throw new Error(`the row has no ${field}`);
    values.push(value);
  }
  return values;
}

function columnOf(projection: AnyProjection, field: string): string {
  const column = (projection.table.columns as readonly Column<unknown>[]).find(
    (c) => c.field === field,
  );
  if (column === undefined) throw new Error(`the ${projection.name} table has no field ${field}`);
  return column.column;
}
