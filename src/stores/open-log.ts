import type { LogBackend } from './log-backend.js';
import { postgresBackend } from './postgres/backend.js';
import { sqliteBackend } from './sqlite/backend.js';

/** True for the `--db` values that name a PostgreSQL database. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/**
 * The one place that reads `--db`: a `postgres://…[?schema=NAME]` URL is a PostgreSQL log,
 * anything else a SQLite file (`:memory:` one held in memory).
 */
export function openLog(db: string): LogBackend {
  return isPostgresUrl(db) ? postgresBackend(db) : sqliteBackend(db);
}
