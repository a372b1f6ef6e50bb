import type pg from 'pg';
import { applyAll } from '../projections/apply-events.js';
import { sessionsProjection } from '../projections/sessions-projection.js';
import type { ProjectionMismatch } from '../projections/verify-projection.js';
import type { SessionState } from '../sessions/session.js';
import { decodeRow, type EventRow, upcast } from './event-row.js';
import { canonicalJson } from './hash.js';
import { PG_APPEND_ONLY_TABLES } from './pg-database.js';
import { PgEventReader } from './pg-reader.js';
import type { EventRegistry } from './schemas.js';
import { ChainCheck, type ChainReport } from './verify-chain.js';

export interface PgVerifyReport extends ChainReport {
  /** log_head (where appends continue from) disagrees with the last event. */
  headMismatch?: string;
  /** The sessions table's checkpoint, and the rows that differ from a fresh fold. */
  projection:
    | { built: false }
    | { built: true; version: number; position: number; mismatches: ProjectionMismatch[] };
}

const PAGE = 5000;
const TRIGGERS = PG_APPEND_ONLY_TABLES.flatMap((table) => [
  `${table}_append_only`,
  `${table}_no_truncate`,
]);

/**
 * Verifies a PostgreSQL log in one read-only snapshot: the hash chain over every event, the
 * append-only triggers, the head row, idempotency keys beyond the end, and the sessions
 * table against a fresh fold of the log. Changes nothing.
 */
export async function verifyPgLog(pool: pg.Pool, registry: EventRegistry): Promise<PgVerifyReport> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const reader = new PgEventReader(client, registry);
    const check = new ChainCheck();
    let last: { position: number; hash: string } | undefined;
    // The fold that the sessions table is compared with, and the last position of each row.
    const folded = new Map<string, SessionState>();
    const touched = new Map<string, number>();
    const fold = sessionsProjection.inMemory?.(folded);
    if (fold === undefined) throw new Error('the sessions projection has no in-memory table');
    for (let after = 0; ; ) {
      const rows = await reader.rows({ after, limit: PAGE });
      const intact: EventRow[] = [];
      for (const row of rows) {
        if (!check.next(row)) break;
        intact.push(row);
      }
      const events = intact.map((row) => upcast(decodeRow(row), registry));
      applyAll(sessionsProjection, fold, events);
      for (const event of events) touched.set(event.stream, event.position);
      const end = rows.at(-1);
      if (end !== undefined) last = { position: end.position, hash: end.hash };
      if (check.broken !== undefined || end === undefined || rows.length < PAGE) break;
      after = end.position;
    }
    const { events, head, broken } = check;
    const headRow = (
      await client.query<{ position: number; hash: string }>('SELECT position, hash FROM log_head')
    ).rows[0];
    const keyed = (
      await client.query<{ max: number | null }>(
        'SELECT max(position) AS max FROM idempotency_keys',
      )
    ).rows[0]?.max;
    const report: PgVerifyReport = {
      events,
      head,
      ...(broken === undefined ? {} : { broken }),
      ...(await triggers(client)),
      ...(keyed != null && keyed > (last?.position ?? 0) ? { keysBeyondHead: keyed } : {}),
      projection: { built: false },
    };
    if (headRow?.position !== (last?.position ?? 0) || (last && headRow?.hash !== last.hash)) {
      report.headMismatch = `log_head says position ${headRow?.position}, the last event is ${last?.position ?? 0}`;
    }
    const checkpoint = (
      await client.query<{ version: number; position: number }>(
        "SELECT version, position FROM projection_checkpoints WHERE name = 'sessions'",
      )
    ).rows[0];
    if (checkpoint !== undefined && broken === undefined) {
      const { rows } = await client.query<{ id: string; row: SessionState }>(
        `SELECT id, json_build_object('id', id, 'name', name, 'cwd', cwd, 'hostname', hostname,
           'platform', platform, 'user', "user", 'status', status, 'summary', summary,
           'startedAt', started_at, 'endedAt', ended_at, 'lastActivityAt', last_activity_at,
           'fileChanges', file_changes, 'version', version, 'deletedAt', deleted_at) AS row
         FROM sessions`,
      );
      const stored = new Map(rows.map(({ id, row }) => [id, row]));
      const mismatches: ProjectionMismatch[] = [];
      for (const key of new Set([...stored.keys(), ...folded.keys()])) {
        const inTable = stored.get(key) ?? null;
        const inFold = folded.get(key) ?? null;
        if (canonicalJson(inTable) === canonicalJson(inFold)) continue;
        mismatches.push({
          projection: sessionsProjection.name,
          in: 'table',
          key,
          position: touched.get(key) ?? 0,
          stored: inTable,
          fold: inFold,
        });
      }
      mismatches.sort((a, b) => a.position - b.position);
      report.projection = { built: true, ...checkpoint, mismatches };
    }
    await client.query('COMMIT');
    return report;
  } finally {
    client.release();
  }
}

/** The append-only triggers that are missing, and those disabled or no longer refusing. */
async function triggers(
  client: pg.PoolClient,
): Promise<Pick<ChainReport, 'missingTriggers' | 'alteredTriggers'>> {
  const { rows } = await client.query<{ name: string; enabled: string; source: string }>(
    `SELECT t.tgname AS name, t.tgenabled AS enabled, p.prosrc AS source
     FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
     WHERE NOT t.tgisinternal AND t.tgrelid IN (SELECT to_regclass(name)
       FROM unnest($1::text[]) AS name)`,
    [[...PG_APPEND_ONLY_TABLES]],
  );
  const present = new Map(rows.map((row) => [row.name, row]));
  return {
    missingTriggers: TRIGGERS.filter((name) => !present.has(name)),
    alteredTriggers: TRIGGERS.filter((name) => {
      const found = present.get(name);
      return (
        found !== undefined && (found.enabled === 'D' || !/RAISE\s+EXCEPTION/i.test(found.source))
      );
    }),
  };
}
