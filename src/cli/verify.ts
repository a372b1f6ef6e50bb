import { existsSync } from 'node:fs';
import { sessionEventTypes } from '../events/schemas.js';
import { openDatabase, readMeta } from '../events/sqlite-database.js';
import { SqliteEventReader } from '../events/sqlite-reader.js';
import { verifyChain } from '../events/verify-chain.js';
import { sessionsProjection } from '../projections/sessions-projection.js';
import { SqliteProjections } from '../projections/sqlite-projections.js';
import { type Command, dbFrom, dbOption } from './args.js';

export const verify: Command = {
  name: 'verify',
  summary: 'check the hash chain, the append-only triggers and every projection against the log',
  usage: `sessionlog verify [--db FILE]

Recomputes the hash chain over every stored event, checks that the append-only triggers are
in place, and compares each projection with a fresh fold of the log. Changes nothing.
Exits 0 when all agree, 1 naming the first position that disagrees.

  --db FILE   the log (default: $SESSIONLOG_DB or ./data/sessionlog.db)`,
  options: dbOption,
  async run(values, out) {
    const file = dbFrom(values);
    if (!existsSync(file)) {
      out.error(`sessionlog verify: no log at ${file}`);
      return 2;
    }
    const db = openDatabase(file, { readonly: true });
    try {
      const reader = new SqliteEventReader(db, sessionEventTypes);
      const projections = new SqliteProjections(db, reader, [sessionsProjection]);
      out.log(`log ${file} (logId ${readMeta(db, 'logId')})`);
      // One read transaction: the chain and the projections are checked at the same head.
      const { chain, mismatches, checkpoint } = db.transaction(() => ({
        chain: verifyChain(db, reader),
        mismatches: projections.verify(),
        checkpoint: projections.checkpoint(sessionsProjection.name),
      }))();
      let failed = false;
      if (chain.broken === undefined) {
        out.log(
          `chain        ${chain.events} events, positions 1..${chain.head}, every hash intact`,
        );
      } else {
        failed = true;
        out.log(`chain        BROKEN at position ${chain.broken.position}: ${chain.broken.reason}`);
      }
      if (chain.missingTriggers.length === 0) out.log('append-only  triggers in place');
      else {
        failed = true;
        out.log(`append-only  MISSING triggers: ${chain.missingTriggers.join(', ')}`);
      }
      const first = mismatches[0];
      if (first === undefined) {
        out.log(
          `projections  sessions at position ${checkpoint?.position ?? 0} equals a fresh fold of the log`,
        );
      } else {
        failed = true;
        out.log(
          `projections  ${first.projection} DISAGREES at position ${first.position}: row ${first.key}` +
            ` (${mismatches.length} row(s) differ)\n  table: ${JSON.stringify(first.table)}\n  fold:  ${JSON.stringify(first.fold)}`,
        );
      }
      const firstBad = Math.min(chain.broken?.position ?? Infinity, first?.position ?? Infinity);
      out.log(
        failed
          ? `FAILED: first disagreement at position ${firstBad === Infinity ? '-' : firstBad}`
          : 'OK',
      );
      return failed ? 1 : 0;
    } finally {
      db.close();
    }
  },
};
