import Database from 'better-sqlite3';
import type { AnyProjection } from '../../projections/projection.js';
import type { SessionState } from '../../sessions/session.js';
import type { SessionsScan } from '../../sessions/sessions-view.js';
import { chunkedScan } from '../chunked-scan.js';
import { listSql } from './projection-table.js';

/** Rows per chunk of a scan: what one scan holds in memory at once. */
const CHUNK = 500;

/**
 * The projection's `list` read from a connection of its own, read-only, in one read
 * transaction: the rows and the checkpoint come from one WAL snapshot. The log's connection
 * cannot do it: a statement left iterating between chunks keeps it busy, and the group commit
 * needs it meanwhile.
 */
export function scanSqliteTable(
  file: string,
  projection: AnyProjection,
  filterValues: readonly unknown[] = [],
): SessionsScan {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let rows: IterableIterator<unknown>;
  let position: number;
  try {
    db.pragma('busy_timeout = 5000');
    db.exec('BEGIN');
    position =
      (db.prepare('SELECT position FROM projections WHERE name = ?').pluck().get(projection.name) as
        | number
        | undefined) ?? 0;
    const statement = db.prepare(listSql(projection, projection.name, filterValues.length));
    rows = statement.iterate(...filterValues);
  } catch (error) {
    db.close();
    throw error;
  }
  const chunks = chunkedScan(
    () => {
      const chunk: SessionState[] = [];
      while (chunk.length < CHUNK) {
        const row = rows.next();
        if (row.done) break;
        chunk.push(row.value as SessionState);
      }
      return chunk;
    },
    () => {
      rows.return?.();
      db.close();
    },
  );
  return { position, chunks };
}
