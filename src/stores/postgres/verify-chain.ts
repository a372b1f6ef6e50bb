import { ChainCheck, type ChainReport } from '../../events/chain-check.js';
import type { EventVersions } from '../../events/event-types.js';
import { PG_APPEND_ONLY_TABLES } from './database.js';
import { PgEventReader, type Queryable } from './reader.js';

export interface PgChainReport extends ChainReport {
  /** log_head (where appends continue from) disagrees with the last event. */
  headMismatch?: string;
}

/** Rows verify reads per query: larger than a store's pages, verify holds nothing else. */
export const VERIFY_PAGE = 5000;
const TRIGGERS = PG_APPEND_ONLY_TABLES.flatMap((table) => [
  `${table}_append_only`,
  `${table}_no_truncate`,
]);

/**
 * The log itself, on a connection the caller holds in one read-only snapshot: the hash chain
 * over every event, positions without a gap, the append-only triggers, the head row, and
 * idempotency keys naming positions beyond the end. Changes nothing.
 */
export async function verifyPgChain(
  client: Queryable,
  registry: EventVersions,
  progress?: (position: number) => void,
): Promise<PgChainReport> {
  const reader = new PgEventReader(client, registry);
  const check = new ChainCheck();
  let last: { position: number; hash: string } | undefined;
  for (let after = 0; ; ) {
    const rows = await reader.rows({ after, limit: VERIFY_PAGE });
    for (const row of rows) if (!check.next(row)) break;
    const end = rows.at(-1);
    if (end !== undefined) last = { position: end.position, hash: end.hash };
    if (end !== undefined) progress?.(end.position);
    if (check.broken !== undefined || end === undefined || rows.length < VERIFY_PAGE) break;
    after = end.position;
  }
  const { events, head, broken } = check;
  const headRow = (
    await client.query<{ position: number; hash: string }>('SELECT position, hash FROM log_head')
  ).rows[0];
  const keyed = (
    await client.query<{ max: number | null }>('SELECT max(position) AS max FROM idempotency_keys')
  ).rows[0]?.max;
  const end = last?.position ?? 0;
  return {
    events,
    head,
    ...(broken === undefined ? {} : { broken }),
    ...(await triggers(client)),
    ...(keyed != null && keyed > end ? { keysBeyondHead: keyed } : {}),
    ...(headRow?.position !== end || (last !== undefined && headRow?.hash !== last.hash)
      ? { headMismatch: `log_head says position ${headRow?.position}, the last event is ${end}` }
      : {}),
  };
}

/** The append-only triggers that are missing, and those disabled or no longer refusing. */
async function triggers(
  client: Queryable,
): Promise<Pick<ChainReport, 'missingTriggers' | 'alteredTriggers'>> {
  const { rows } = await client.query<{ name: string; enabled: string; source: string }>(
    `SELECT t.tgname AS name, t.tgenabled AS enabled, p.prosrc AS source
     FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
     WHERE NOT t.tgisinternal AND t.tgrelid IN (SELECT to_regclass(name)
       FROM unnest($1::text[]) AS name)`,
    [[...PG_APPEND_ONLY_TABLES]],
  );
  const present = new Map(rows.map((row) => [row.name, row]));
  // A log written before the tree was kept has no tree yet, nor its triggers (verify says so).
  const tree = await client.query<{ present: boolean }>(
    "SELECT to_regclass('merkle_nodes') IS NOT NULL AS present",
  );
  const expected = TRIGGERS.filter(
    (name) => tree.rows[0]?.present === true || !name.startsWith('merkle_nodes_'),
  );
  return {
    missingTriggers: expected.filter((name) => !present.has(name)),
    alteredTriggers: expected.filter((name) => {
      const found = present.get(name);
      return (
        found !== undefined && (found.enabled === 'D' || !/RAISE\s+EXCEPTION/i.test(found.source))
      );
    }),
  };
}
