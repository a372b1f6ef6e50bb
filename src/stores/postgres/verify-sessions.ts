import { decodeRow, upcast } from '../../events/event-row.js';
import type { EventVersions } from '../../events/event-types.js';
import { sameCanonicalJson } from '../../events/same-json.js';
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
  registry: EventVersions,
): Promise<PgSessionsReport> {
  const fold = await foldAndCompare(client, registry, historyOfIds);
  let { history } = fold;
  if (history === undefined) {
    // Each page was compared for the rows it folded; a row of another session in its range
    // (one the fold never made) shows as one row too many. Then the pages are compared
    // again whole, to name the first such row.
    const stored = (await client.query<{ n: number }>('SELECT count(*) AS n FROM sessions_history'))
      .rows[0]?.n;
    if (stored !== fold.versions) {
      history =
        (await foldAndCompare(client, registry, historyInRange)).history ??
        (await historyOutside(client, fold.head));
    }
  }
  const { folded, touched } = fold;
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

/** A stored version of a session: its row as the position made it. */
type HistoryRow = { id: string; position: number; row: SessionState };

/** The stored history rows a page is compared with: (after, upTo], of some sessions or all. */
type HistoryPage = (
  client: Queryable,
  after: number,
  upTo: number,
  ids: readonly string[],
) => Promise<HistoryRow[]>;

/**
 * The history of the sessions a page folded, in its range: a lookup by the primary key
 * (id, position) for each. A range of positions alone has no index to use, and read the
 * whole history once per page (a verify that took the square of the log's length).
 */
const historyOfIds: HistoryPage = async (client, after, upTo, ids) =>
  (
    await client.query(
      `SELECT id, position, row FROM sessions_history
       WHERE id = ANY($3::text[]) AND position > $1 AND position <= $2`,
      [after, upTo, ids],
    )
  ).rows;

/** The first history row at a position no event has (the pages cover 1..head). */
async function historyOutside(
  client: Queryable,
  head: number,
): Promise<ProjectionMismatch | undefined> {
  const { rows } = await client.query<HistoryRow>(
    `SELECT id, position, row FROM sessions_history WHERE position <= 0 OR position > $1
     ORDER BY position LIMIT 1`,
    [head],
  );
  return firstDifference(rows, new Map());
}

/** Every session's history in a page's range (a scan of the history: only to name a row). */
const historyInRange: HistoryPage = async (client, after, upTo) =>
  (
    await client.query(
      'SELECT id, position, row FROM sessions_history WHERE position > $1 AND position <= $2',
      [after, upTo],
    )
  ).rows;

/**
 * A fresh fold of the log, page by page, each page's versions compared with the history
 * `historyPage` reads: the fold's rows, the last position that touched each, the first
 * history disagreement, how many versions the fold made, and the last position read.
 */
async function foldAndCompare(
  client: Queryable,
  registry: EventVersions,
  historyPage: HistoryPage,
): Promise<{
  folded: Map<string, SessionState>;
  touched: Map<string, number>;
  history: ProjectionMismatch | undefined;
  versions: number;
  head: number;
}> {
  const reader = new PgEventReader(client, registry);
  const folded = new Map<string, SessionState>();
  const touched = new Map<string, number>();
  let history: ProjectionMismatch | undefined;
  let made = 0;
  let head = 0;
  for (let after = 0; ; ) {
    const rows = await reader.rows({ after, limit: VERIFY_PAGE });
    // Each version the fold makes, by id and position: what the history must hold.
    const versions = new Map<string, SessionState>();
    const ids = new Set<string>();
    for (const event of rows.map((row) => upcast(decodeRow(row), registry))) {
      if (!sessionsProjection.handles.has(event.type)) continue;
      const key = sessionsProjection.keyOf(event);
      const row = sessionsProjection.evolve(folded.get(key) ?? null, event);
      touched.set(key, event.position);
      ids.add(key);
      if (row === null) continue;
      folded.set(key, row);
      versions.set(`${key}@${event.position}`, row);
    }
    made += versions.size;
    const last = rows.at(-1);
    if (last === undefined) break;
    head = last.position;
    if (history === undefined) {
      const stored = await historyPage(client, after, last.position, [...ids]);
      history = firstDifference(stored, versions);
    }
    if (rows.length < VERIFY_PAGE) break;
    after = last.position;
  }
  return { folded, touched, history, versions: made, head };
}

/** The first (by position) of the versions where the stored history and the fold's differ. */
function firstDifference(
  rows: readonly HistoryRow[],
  versions: ReadonlyMap<string, SessionState>,
): ProjectionMismatch | undefined {
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
