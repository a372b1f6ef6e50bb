import type pg from 'pg';
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
  /** The first version in the sessions history (what asOf reads) that the fold disagrees with. */
  history?: ProjectionMismatch;
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
    let history: ProjectionMismatch | undefined;
    for (let after = 0; ; ) {
      const rows = await reader.rows({ after, limit: PAGE });
      const intact: EventRow[] = [];
      for (const row of rows) {
        if (!check.next(row)) break;
        intact.push(row);
      }
      const events = intact.map((row) => upcast(decodeRow(row), registry));
      // Each version the fold makes, by id and position: what the history must hold.
      const versions = new Map<string, SessionState>();
      for (const event of events) {
        if (!sessionsProjection.handles.has(event.type)) continue;
        const key = sessionsProjection.keyOf(event);
        const row = sessionsProjection.evolve(folded.get(key) ?? null, event);
        touched.set(key, event.position);
        if (row === null) continue;
        folded.set(key, row);
        versions.set(`${key}@${event.position}`, row);
      }
      const checked = intact.at(-1);
      if (history === undefined && checked !== undefined) {
        history = await compareHistory(client, after, checked.position, versions);
      }
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
      ...(history === undefined ? {} : { history }),
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

/** The history's versions at positions after..upTo against the fold's; the first difference. */
async function compareHistory(
  client: pg.PoolClient,
  after: number,
  upTo: number,
  versions: ReadonlyMap<string, SessionState>,
): Promise<ProjectionMismatch | undefined> {
  const { rows } = await client.query<{ id: string; position: number; row: SessionState }>(
    `SELECT id, position, row FROM sessions_history WHERE position > $1 AND position <= $2
     ORDER BY position, id`,
    [after, upTo],
  );
  const stored = new Map(rows.map((row) => [`${row.id}@${row.position}`, row]));
  const keys = [...new Set([...versions.keys(), ...stored.keys()])];
  const differ = keys
    .map((key) => ({ key, stored: stored.get(key)?.row ?? null, fold: versions.get(key) ?? null }))
    .filter(({ stored: row, fold }) => canonicalJson(row) !== canonicalJson(fold))
    .map(({ key, stored: row, fold }) => {
      const at = key.lastIndexOf('@');
      return {
        projection: sessionsProjection.name,
        in: 'snapshot' as const,
        key: key.slice(0, at),
        position: Number(key.slice(at + 1)),
        stored: row,
        fold,
      };
    })
    .sort((a, b) => a.position - b.position);
  return differ[0];
}
