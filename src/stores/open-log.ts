import type { LogBackend } from './log-backend.js';

/** True for the `--db` values that name a PostgreSQL database. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/**
 * The one place that reads `--db`: a `postgres://…[?schema=NAME]` URL is a PostgreSQL log,
 * anything else a SQLite file (`:memory:` one held in memory). Each backend is loaded when a
 * log of its kind is opened: a command on a SQLite file never loads the PostgreSQL driver.
 */
export async function openLog(db: string): Promise<LogBackend> {
  if (isPostgresUrl(db)) return (await import('./postgres/backend.js')).postgresBackend(db);
  return (await import('./sqlite/backend.js')).sqliteBackend(db);
}
