import { decodeRow, upcast } from '../../events/event-row.js';
import { sameCanonicalJson } from '../../events/same-json.js';
import type { EventRegistry } from '../../events/schemas.js';
import type { ProjectionMismatch } from '../../projections/mismatch.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { SessionState } from '../../sessions/session.js';
import { PgEventReader, type Queryable } from './reader.js';
import { ROW_JSON } from './sessions-table.js';
import { VERIFY_PAGE } from './verify-chain.js';

export interface PgSessionsReport {
  /** The sessions table's checkpoint, and the rows that differ from a fresh fold. */
  table:
    | { built: false }
    | { built: true; version: number; position: number; mismatches: ProjectionMismatch[] };
  /** The first version in the sessions history (what asOf reads) that the fold disagrees with. */
  history?: ProjectionMismatch;
}

/**
 * The sessions table and its history against a fresh fold of the log, on a connection the
 * caller holds in one read-only snapshot (call it once the chain is known intact).
 */
export async function verifyPgSessions(
  client: Queryable,
  registry: EventRegistry,
): Promise<PgSessionsReport> {
  const reader = new PgEventReader(client, registry);
  // The fold, the last position that touched each row, and the first history disagreement.
  const folded = new Map<string, SessionState>();
  const touched = new Map<string, number>();
  let history: ProjectionMismatch | undefined;
  for (let after = 0; ; ) {
    const rows = await reader.rows({ after, limit: VERIFY_PAGE });
    // Each version the fold makes, by id and position: what the history must hold.
    const versions = new Map<string, SessionState>();
    for (const event of rows.map((row) => upcast(decodeRow(row), registry))) {
      if (!sessionsProjection.handles.has(event.type)) continue;
      const key = sessionsProjection.keyOf(event);
      const row = sessionsProjection.evolve(folded.get(key) ?? null, event);
      touched.set(key, event.position);
      if (row === null) continue;
      folded.set(key, row);
      versions.set(`${key}@${event.position}`, row);
    }
    const last = rows.at(-1);
    if (last === undefined) break;
    history ??= await compareHistory(client, after, last.position, versions);
    if (rows.length < VERIFY_PAGE) break;
    after = last.position;
  }
  const checkpoint = (
    await client.query<{ version: number; position: number }>(
      "SELECT version, position FROM projection_checkpoints WHERE name = 'sessions'",
    )
  ).rows[0];
  const report: PgSessionsReport = {
    table: { built: false },
    ...(history === undefined ? {} : { history }),
  };
  if (checkpoint === undefined) return report;
  const { rows } = await client.query<{ id: string; row: SessionState }>(
    `SELECT id, ${ROW_JSON} AS row FROM sessions`,
  );
  const stored = new Map(rows.map(({ id, row }) => [id, row]));
  const mismatches: ProjectionMismatch[] = [];
  for (const key of new Set([...stored.keys(), ...folded.keys()])) {
    const inTable = stored.get(key) ?? null;
    const inFold = folded.get(key) ?? null;
    if (sameCanonicalJson(inTable, inFold)) continue;
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
  return { ...report, table: { built: true, ...checkpoint, mismatches } };
}

/** The history's versions at positions after..upTo against the fold's; the first difference. */
async function compareHistory(
  client: Queryable,
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
    .filter(({ stored: row, fold }) => !sameCanonicalJson(row, fold))
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
