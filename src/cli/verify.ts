import { existsSync } from 'node:fs';
import { sessionEventTypes } from '../events/schemas.js';
import { sessionsProjection } from '../projections/sessions-projection.js';
import { isPostgresUrl, openPostgres, readPgMeta } from '../stores/postgres/database.js';
import { verifyPgChain } from '../stores/postgres/verify-chain.js';
import { type PgSessionsReport, verifyPgSessions } from '../stores/postgres/verify-sessions.js';
import { openDatabase, readMeta } from '../stores/sqlite/database.js';
import { SqliteProjections } from '../stores/sqlite/projections.js';
import { SqliteEventReader } from '../stores/sqlite/reader.js';
import { type ChainReport, verifyChain } from '../stores/sqlite/verify-chain.js';
import { type Command, dbFrom, dbOption, type Output } from './args.js';

/** `sessionlog verify`: the log, its triggers, its end, and everything derived from it. */
export const verify: Command = {
  name: 'verify',
  summary: 'check the hash chain, the append-only triggers, every projection and its snapshots',
  usage: `sessionlog verify [--db FILE|URL]

Recomputes the hash chain over every stored event, checks that the append-only triggers are
in place and unaltered, that nothing records a position beyond the log's end, and compares
each projection's table and every one of its snapshots with a fresh fold of the log.
Opens the file read-only and changes nothing. Exits 0 when all agree, 1 naming the first
position that disagrees (\`sessionlog rebuild\` makes tables and snapshots again from the log;
nothing repairs the log itself).

On PostgreSQL (--db postgres://…) the same checks run in one read-only snapshot, with the
head row in place of the snapshots (there are none in PostgreSQL).

  --db FILE|URL   the log (default: $SESSIONLOG_DB or ./data/sessionlog.db)`,
  options: dbOption,
  async run(values, out) {
    const file = dbFrom(values);
    if (isPostgresUrl(file)) return verifyPostgres(file, out);
    if (!existsSync(file)) {
      out.error(`sessionlog verify: no log at ${file}`);
      return 2;
    }
    const db = openDatabase(file, { readonly: true });
    try {
      const reader = new SqliteEventReader(db, sessionEventTypes);
      const projections = new SqliteProjections(db, reader, [sessionsProjection]);
      const { name, version } = sessionsProjection;
      out.log(`log ${file} (logId ${readMeta(db, 'logId')})`);
      // One read transaction: the chain and the projections are checked at the same head.
      const { chain, mismatches, checkpoint, snapshots } = db.transaction(() => ({
        chain: verifyChain(db, reader),
        mismatches: projections.verify(),
        checkpoint: projections.checkpoint(name),
        snapshots: projections.snapshotStats(name),
      }))();
      const bad = reportChain(chain, out);
      const inTable = mismatches.filter((m) => m.in === 'table');
      const inSnapshots = mismatches.filter((m) => m.in === 'snapshot');
      if (checkpoint === undefined) out.log(`projections  ${name} not built yet (serve builds it)`);
      else if (checkpoint.version !== version) {
        out.log(
          `projections  ${name} was built by projection version ${checkpoint.version}, this sessionlog has ${version}: not compared (serve or rebuild makes it again)`,
        );
      } else if (inTable.length === 0) {
        out.log(
          `projections  ${name} at position ${checkpoint.position} equals a fresh fold of the log`,
        );
      }
      for (const [label, found] of [
        ['projections', inTable],
        ['snapshots', inSnapshots],
      ] as const) {
        const first = found[0];
        if (first === undefined) continue;
        bad.push(first.position);
        out.log(
          `${label.padEnd(12)} ${first.projection} DISAGREES at position ${first.position}: row ${first.key}` +
            ` (${found.length} row(s) differ)\n  stored: ${JSON.stringify(first.stored)}\n  fold:   ${JSON.stringify(first.fold)}`,
        );
      }
      if (inSnapshots.length === 0) {
        out.log(
          snapshots.count === 0
            ? `snapshots    ${name}: none yet (serve writes them behind the log)`
            : `snapshots    ${name}: ${snapshots.count} up to position ${snapshots.latest} (${snapshots.fulls} full), each equals the fold at its position`,
        );
      }
      return conclude(bad, out);
    } finally {
      db.close();
    }
  },
};

/** The chain, the end and the triggers, as lines; returns the positions found bad (0: none). */
function reportChain(chain: ChainReport, out: Output): number[] {
  const bad: number[] = [];
  if (chain.broken === undefined) {
    out.log(`chain        ${chain.events} events, positions 1..${chain.head}, every hash intact`);
  } else {
    bad.push(chain.broken.position);
    out.log(`chain        BROKEN at position ${chain.broken.position}: ${chain.broken.reason}`);
  }
  if (chain.keysBeyondHead !== undefined) {
    bad.push(chain.head + 1);
    out.log(
      `end          TRUNCATED: idempotency keys name position ${chain.keysBeyondHead}, the log ends at ${chain.head}`,
    );
  }
  const { missingTriggers: missing, alteredTriggers: altered } = chain;
  if (missing.length === 0 && altered.length === 0) out.log('append-only  triggers in place');
  else {
    bad.push(0);
    if (missing.length > 0) out.log(`append-only  MISSING triggers: ${missing.join(', ')}`);
    if (altered.length > 0) out.log(`append-only  ALTERED triggers: ${altered.join(', ')}`);
  }
  return bad;
}

function conclude(bad: readonly number[], out: Output): number {
  if (bad.length === 0) {
    out.log('OK');
    return 0;
  }
  const first = Math.min(...bad.filter((position) => position > 0));
  out.log(`FAILED: first disagreement at position ${Number.isFinite(first) ? first : '-'}`);
  return 1;
}

async function verifyPostgres(url: string, out: Output): Promise<number> {
  const database = await openPostgres(url, { create: false, applicationName: 'sessionlog verify' });
  const client = await database.pool.connect();
  try {
    out.log(`log ${database.label} (logId ${await readPgMeta(database.pool, 'logId')})`);
    // One read-only snapshot: the chain, the table and its history are checked at one head.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const chain = await verifyPgChain(client, sessionEventTypes);
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
function reportPgSessions({ table, history }: PgSessionsReport, out: Output): number[] {
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
