import type { AnyProjection, Column, TableOf } from '../../projections/projection.js';
import type { SqliteDatabase } from './database.js';

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

/** The index that `list` reads by. */
export function createIndex(db: SqliteDatabase, projection: AnyProjection, table: string): void {
  const { index, omitted, order } = projection.table.list;
  const name = table.replace(/^temp\./, '');
  db.exec(`CREATE INDEX IF NOT EXISTS ${table}_${index} ON ${name}
    (${order.map((o) => `${quote(columnOf(projection, o.field))}${o.descending ? ' DESC' : ''}`).join(', ')})
    WHERE ${quote(columnOf(projection, omitted))} IS NULL`);
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
  const { omitted, filter, order } = projection.table.list;
  const selected = selectList(columns);
  const get = db.prepare(`SELECT ${selected} FROM ${table} WHERE ${quote(key.column)} = ?`);
  // An upsert, not INSERT OR REPLACE: replacing deletes and reinserts the row, index entries
  // and all, on every event. The columns an event never changes are left alone.
  const changing = columns.filter((c) => c !== key && !c.fixed);
  const put = db.prepare(`INSERT INTO ${table} (${columns.map((c) => quote(c.column)).join(', ')})
    VALUES (${columns.map((c) => `@${c.field}`).join(', ')})
    ON CONFLICT (${quote(key.column)}) DO UPDATE SET
    ${changing.map((c) => `${quote(c.column)} = excluded.${quote(c.column)}`).join(', ')}`);
  const rows = db.prepare(`SELECT ${selected} FROM ${table} ORDER BY ${quote(key.column)}`);
  const listed = `SELECT ${selected} FROM ${table} WHERE ${quote(columnOf(projection, omitted))} IS NULL`;
  const ordered = `ORDER BY ${order.map((o) => `${quote(columnOf(projection, o.field))}${o.descending ? ' DESC' : ''}`).join(', ')}`;
  const listAll = db.prepare(`${listed} ${ordered}`);
  const listFiltered =
    filter === undefined
      ? listAll
      : db.prepare(`${listed} AND ${quote(columnOf(projection, filter))} = ? ${ordered}`);
  const bound = {
    get: (id: string) => get.get(id),
    put: (row: unknown) => put.run(row),
    rows: () => rows.iterate(),
    list: (wanted: Record<string, unknown> = {}) => {
      const value = filter === undefined ? undefined : wanted[filter];
      return value === undefined ? listAll.all() : listFiltered.all(value);
    },
  };
  return bound as unknown as TableOf<P>;
}

function columnOf(projection: AnyProjection, field: string): string {
  const column = (projection.table.columns as readonly Column<unknown>[]).find(
    (c) => c.field === field,
  );
  if (column === undefined) throw new Error(`the ${projection.name} table has no field ${field}`);
  return column.column;
}
