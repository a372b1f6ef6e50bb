import { type AnyProjection, foldCase, type TableOf } from './projection.js';

/**
 * The projection's table over rows held in memory, answering exactly as the stores' tables do,
 * order included (the projection's tests compare them): what `asOf` reads once a fold is
 * short, instead of filling a scratch table.
 */
export function inMemoryTable<P extends AnyProjection>(
  projection: P,
  rows: Map<string, unknown> = new Map(),
): TableOf<P> {
  const { omitted, filter, order } = projection.table.list;
  type Row = Record<string, unknown>;
  const byKey = (a: unknown, b: unknown) =>
    compareValues(projection.keyOfRow(a), projection.keyOfRow(b));
  const byOrder = (a: Row, b: Row) => {
    for (const { field, descending } of order) {
      const c = compareValues(a[field], b[field]);
      if (c !== 0) return descending ? -c : c;
    }
    return 0;
  };
  const table = {
    get: (key: string) => rows.get(key),
    put: (row: unknown) => rows.set(projection.keyOfRow(row), row),
    rows: () => [...rows.values()].sort(byKey),
    list: (wanted: Record<string, unknown> = {}) => {
      const value = filter === undefined ? undefined : wanted[filter];
      return ([...rows.values()] as Row[])
        .filter(
          (row) =>
            row[omitted] === null && (value === undefined || row[filter as string] === value),
        )
        .sort(byOrder);
    },
    page: (query: {
      limit: number;
      after?: readonly unknown[];
      filter?: readonly unknown[];
      search?: string;
    }) => {
      const { order: pageOrder, search: searched } = projection.table.page;
      // Every field descending: a row comes after another when its values compare lower.
      const byPage = (a: Row, b: Row) => {
        for (const field of pageOrder as string[]) {
          const c = compareValues(b[field], a[field]);
          if (c !== 0) return c;
        }
        return 0;
      };
      const after = query.after;
      const cursor =
        after === undefined
          ? undefined
          : Object.fromEntries((pageOrder as string[]).map((field, i) => [field, after[i]]));
      const needle = query.search === undefined ? undefined : foldCase(query.search);
      return ([...rows.values()] as Row[])
        .filter(
          (row) =>
            row[omitted] === null &&
            (query.filter === undefined || query.filter.includes(row[filter as string])) &&
            (needle === undefined ||
              (searched as string[]).some((field) => {
                const value = row[field];
                return typeof value === 'string' && foldCase(value).includes(needle);
              })) &&
            (cursor === undefined || byPage(cursor, row) < 0),
        )
        .sort(byPage)
        .slice(0, query.limit);
    },
  };
  return table as unknown as TableOf<P>;
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return compareText(a, b);
  return Number(a) - Number(b);
}

/**
 * The stores' text order: SQLite's BINARY collation and PostgreSQL's "C", UTF-8 byte order,
 * which is code point order. JavaScript's `<` compares UTF-16 units, which sorts characters
 * beyond U+FFFF (surrogate pairs) before U+E000–U+FFFF; this corrects for that.
 */
export function compareText(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
