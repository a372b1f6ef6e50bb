import { FreshRoot } from '../../checkpoints/fresh-root.js';
import { rootPlan } from '../../checkpoints/merkle-plans.js';
import { sessionEventVersions } from '../../events/event-types.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { LogCheck, ReportOutput } from '../log-backend.js';
import { conclude, reportChain } from '../verify-report.js';
import { reportTree, type TreeReport } from '../verify-tree.js';
import { openPostgres, readPgMeta } from './database.js';
import { pgEventHashes } from './event-hashes.js';
import { pgTreeSize, readPgNodes } from './merkle-tree.js';
import type { Queryable } from './reader.js';
import { VERIFY_PAGE, verifyPgChain } from './verify-chain.js';
import { type PgSessionsReport, verifyPgSessions } from './verify-sessions.js';

/**
 * `verify` on a PostgreSQL log, in one read-only snapshot: the chain, the triggers, the head
 * row, and the sessions table and its history against a fresh fold.
 */
export async function verifyPostgresLog(
  url: string,
  out: ReportOutput,
  also?: LogCheck,
): Promise<number> {
  const database = await openPostgres(url, { create: false, applicationName: 'sessionlog verify' });
  const client = await database.pool.connect();
  try {
    const logId = (await readPgMeta(database.pool, 'logId')) ?? '';
    out.log(`log ${database.label} (logId ${logId})`);
    // One read-only snapshot: the chain, the table and its history are checked at one head.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ position: number }>('SELECT position FROM log_head');
    const head = rows[0]?.position ?? 0;
    const chain = await verifyPgChain(client, sessionEventVersions, (position) =>
      out.reached?.(position, head),
    );
    const bad = reportChain(chain, out);
    if (chain.headMismatch === undefined) out.log('head         log_head matches the last event');
    else {
      bad.push(chain.head);
      out.log(`head         WRONG: ${chain.headMismatch}`);
    }
    bad.push(...reportTree(await verifyPgTree(client), out));
    const { name } = sessionsProjection;
    if (chain.broken === undefined) {
      bad.push(...reportPgSessions(await verifyPgSessions(client, sessionEventVersions), out));
    } else out.log(`projections  ${name} not compared: the log it is folded from is broken`);
    if (also !== undefined) {
      bad.push(...(await also.check(logId, pgEventHashes(client, also.upTo), out)));
    }
    await client.query('COMMIT');
    return conclude(bad, out);
  } finally {
    client.release();
    await database.pool.end();
  }
}

/** The sessions table and its history, as lines; returns the positions found bad. */
function reportPgSessions({ table, history }: PgSessionsReport, out: ReportOutput): number[] {
  const bad: number[] = [];
  const { name, version } = sessionsProjection;
  const [first] = table.built ? table.mismatches : [];
  if (!table.built) out.log(`projections  ${name} not built yet (serve builds it)`);
  else if (table.version !== version) {
    out.log(
      `projections  ${name} was built by projection version ${table.version}, this sessionlog has ${version}: not compared (serve makes it again)`,
    );
  } else if (first === undefined) {
    out.log(`projections  ${name} at position ${table.position} equals a fresh fold of the log`);
  } else {
    bad.push(first.position);
    out.log(
      `projections  ${name} DISAGREES at position ${first.position}: row ${first.key}` +
        ` (${table.mismatches.length} row(s) differ)\n  stored: ${JSON.stringify(first.stored)}\n  fold:   ${JSON.stringify(first.fold)}`,
    );
  }
  if (history === undefined) {
    out.log(
      `history      ${name}: every version, at its position, equals the fold (asOf reads it)`,
    );
  } else {
    bad.push(history.position);
    out.log(
      `history      ${name} DISAGREES at position ${history.position}: row ${history.key}` +
        `\n  stored: ${JSON.stringify(history.stored)}\n  fold:   ${JSON.stringify(history.fold)}`,
    );
  }
  return bad;
}

/** The stored tree's size and root at the head against the root of the events' hashes. */
export async function verifyPgTree(client: Queryable): Promise<TreeReport> {
  const { rows: table } = await client.query(
    "SELECT to_regclass('merkle_nodes') IS NOT NULL AS present",
  );
  if (table[0]?.present !== true) {
    const { rows } = await client.query<{ value: string }>(
      "SELECT value FROM meta WHERE key = 'schemaVersion'",
    );
    return Number(rows[0]?.value) >= 2 ? { kind: 'missing' } : { kind: 'not-kept' };
  }
  const fresh = new FreshRoot();
  let head = 0;
  try {
    for (;;) {
      const { rows } = await client.query<{ position: number; hash: string }>(
        'SELECT position, hash FROM events WHERE position > $1 ORDER BY position LIMIT $2',
        [head, VERIFY_PAGE],
      );
      fresh.add(rows.map((row) => row.hash));
      head = rows.at(-1)?.position ?? head;
      if (rows.length < VERIFY_PAGE) break;
    }
  } catch (error) {
    return { kind: 'unreadable', reason: (error as Error).message };
  }
  const size = await pgTreeSize(client);
  const checked = { kind: 'checked' as const, size, head: fresh.size, fresh: fresh.root() };
  if (size !== fresh.size) return checked;
  const plan = rootPlan(size);
  return { ...checked, stored: plan.finish(await readPgNodes(client, plan.keys)) };
}
