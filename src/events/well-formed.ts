/**
 * Well-formed Unicode (SPEC, "Limits"): a JavaScript string may hold a lone UTF-16 surrogate,
 * which JSON keeps as a `\ud800` escape but UTF-8 cannot encode: SQLite and PostgreSQL text
 * store U+FFFD in its place. The log refuses such strings; what an older log already holds
 * is read in the form the databases store, so that a table and a fresh fold agree.
 */

export const NOT_WELL_FORMED = 'must be well-formed Unicode (no lone surrogate)';

/** The path of the first string (or object key) in `value` that is not well-formed. */
export function illFormedPath(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : [];
  if (value === null || typeof value !== 'object') return undefined;
  // Every event and every row passes here: the path is only built for what is found.
  for (const key of Object.keys(value)) {
    if (!key.isWellFormed()) return [key];
    const found = illFormedPath((value as Record<string, unknown>)[key]);
    if (found !== undefined) return [key, ...found];
  }
  return undefined;
}

/**
 * `value` with every lone surrogate in its strings replaced by U+FFFD, as a database's text
 * column stores it; the value itself when it has none (the common case allocates nothing).
 */
export function wellFormed<T>(value: T): T {
  if (typeof value === 'string') return value.toWellFormed() as T;
  if (value === null || typeof value !== 'object' || illFormedPath(value) === undefined) {
    return value;
  }
  if (Array.isArray(value)) return value.map(wellFormed) as T;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key.toWellFormed(), wellFormed(item)]),
  ) as T;
}
