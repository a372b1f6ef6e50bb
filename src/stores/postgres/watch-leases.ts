import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { fallbackLogger, type Logger } from '../../observe/logger.js';
import type { WatchLeases } from '../../watcher/watch-leases.js';

/** The leases table: this module's part of the migration. */
export const WATCH_LEASES_DDL = `
CREATE TABLE IF NOT EXISTS watch_leases (
  session_id text PRIMARY KEY,
  node       text NOT NULL,
  expires_at timestamptz NOT NULL
);
`;

export interface PgLeaseOptions {
  /** A lease not renewed for this long may be taken by another node (default 15 s). */
  ttlMs?: number;
  /** How often leases are renewed and orphans looked for (default ttl / 3). */
  renewMs?: number;
  /** This node's name in the leases table (default host:pid:random). */
  node?: string;
  /** Where failing renewals are told (default: warnings on stderr). */
  logger?: Logger;
}

/** Leases in the log's PostgreSQL database (table `watch_leases`), timed by its clock. */
export function pgWatchLeases(pool: pg.Pool, options: PgLeaseOptions = {}): WatchLeases {
  const ttlMs = options.ttlMs ?? 15_000;
  const renewMs = options.renewMs ?? Math.round(ttlMs / 3);
  const node = options.node ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const logger = options.logger ?? fallbackLogger();
  const held = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> | undefined;
  let lastRenewed = Date.now();
  const ttl = `${ttlMs} milliseconds`;

  async function renew(handlers: Parameters<WatchLeases['start']>[0]): Promise<void> {
    try {
      const { rows } = await pool.query<{ session_id: string }>(
        `UPDATE watch_leases SET expires_at = now() + $3::interval
         WHERE node = $1 AND session_id = ANY($2::text[]) RETURNING session_id`,
        [node, [...held], ttl],
      );
      lastRenewed = Date.now();
      const kept = new Set(rows.map((row) => row.session_id));
      const lost = [...held].filter((id) => !kept.has(id));
      for (const id of lost) held.delete(id);
      if (lost.length > 0) handlers.onLost(lost);
      const orphans = await pool.query<{ id: string; cwd: string }>(
        `SELECT s.id, s.cwd FROM sessions s
         WHERE s.deleted_at IS NULL AND s.status IN ('pending', 'in_progress')
           AND NOT EXISTS (SELECT 1 FROM watch_leases l
                           WHERE l.session_id = s.id AND l.expires_at > now())
         ORDER BY s.started_at, s.id`,
      );
      if (orphans.rows.length > 0) handlers.onOrphans(orphans.rows);
      // Leases a dead node left on sessions that have ended since: nobody will renew them.
      await pool.query(
        `DELETE FROM watch_leases l WHERE l.expires_at < now() AND NOT EXISTS (
           SELECT 1 FROM sessions s WHERE s.id = l.session_id AND s.deleted_at IS NULL
             AND s.status IN ('pending', 'in_progress'))`,
      );
    } catch (error) {
      // Unreachable database: past the ttl another node may hold the leases, so stop
      // watching rather than record the same changes twice.
      if (Date.now() - lastRenewed > ttlMs && held.size > 0) {
        const lost = [...held];
        held.clear();
        handlers.onLost(lost);
      }
      logger.warn({ error: String(error) }, 'could not renew file-watching leases');
    }
  }

  return {
    async claim(sessionId) {
      const { rowCount } = await pool.query(
        `INSERT INTO watch_leases (session_id, node, expires_at)
         VALUES ($1, $2, now() + $3::interval)
         ON CONFLICT (session_id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at
         WHERE watch_leases.expires_at < now() OR watch_leases.node = excluded.node`,
        [sessionId, node, ttl],
      );
      if (rowCount === 1) held.add(sessionId);
      return rowCount === 1;
    },
    async release(sessionId) {
      held.delete(sessionId);
      await pool.query('DELETE FROM watch_leases WHERE session_id = $1 AND node = $2', [
        sessionId,
        node,
      ]);
    },
    start(handlers) {
      timer = setInterval(() => {
        renewing ??= renew(handlers).finally(() => {
          renewing = undefined;
        });
      }, renewMs);
      timer.unref();
    },
    async close() {
      clearInterval(timer);
      await renewing;
      const ids = [...held];
      held.clear();
      await pool
        .query('DELETE FROM watch_leases WHERE node = $1 AND session_id = ANY($2::text[])', [
          node,
          ids,
        ])
        .catch((error) =>
          logger.warn({ error: String(error) }, 'could not give back file-watching leases'),
        );
    },
  };
}
