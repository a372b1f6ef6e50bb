import { sessionEventTypes } from '../../events/schemas.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { ReportOutput } from '../log-backend.js';
import { conclude, reportChain } from '../verify-report.js';
import { openPostgres, readPgMeta } from './database.js';
import { verifyPgChain } from './verify-chain.js';
import { type PgSessionsReport, verifyPgSessions } from './verify-sessions.js';

/**
 * `verify` on a PostgreSQL log, in one read-only snapshot: the chain, the triggers, the head
 * row, and the sessions table and its history against a fresh fold.
 */
export async function verifyPostgresLog(url: string, out: ReportOutput): Promise<number> {
  const database = await openPostgres(url, { create: false, applicationName: 'sessionlog verify' });
  const client = await database.pool.connect();
  try {
    out.log(`log ${database.label} (logId ${await readPgMeta(database.pool, 'logId')})`);
    // One read-only snapshot: the chain, the table and its history are checked at one head.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ position: number }>('SELECT position FROM log_head');
    const head = rows[0]?.position ?? 0;
    const chain = await verifyPgChain(client, sessionEventTypes, (position) =>
      out.reached?.(position, head),
    );
    const bad = reportChain(chain, out);
    if (chain.headMismatch === undefined) out.log('head         log_head matches the last event');
    else {
      bad.push(chain.head);
      out.log(`head         WRONG: ${chain.headMismatch}`);
    }
    const { name } = sessionsProjection;
    if (chain.broken === undefined) {
      bad.push(...reportPgSessions(await verifyPgSessions(client, sessionEventTypes), out));
    } else out.log(`projections  ${name} not compared: the log it is folded from is broken`);
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
