import { existsSync } from 'node:fs';
import { ChainCheck } from '../../events/chain-check.js';
import { sessionEventTypes } from '../../events/schemas.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { ReportOutput } from '../log-backend.js';
import { conclude, reportChain } from '../verify-report.js';
import { ChainCheckingReader } from './chain-checking-reader.js';
import { openDatabase, readMeta } from './database.js';
import { SqliteProjections } from './projections.js';
import { SqliteEventReader } from './reader.js';
import { verifyChain } from './verify-chain.js';

/**
 * `verify` on a log file, opened read-only: the chain, the triggers, the end, and each
 * projection's table and snapshots against a fresh fold, at one head.
 */
export async function verifySqliteLog(file: string, out: ReportOutput): Promise<number> {
  if (!existsSync(file)) {
    out.error(`sessionlog verify: no log at ${file}`);
    return 2;
  }
  const db = openDatabase(file, { readonly: true });
  try {
    const check = new ChainCheck();
    const head = new SqliteEventReader(db, sessionEventTypes).head();
    const progress = out.reached && ((position: number) => out.reached?.(position, head));
    // The fold reads every row once: the chain is checked on the way (one pass, not two).
    const reader = new ChainCheckingReader(db, sessionEventTypes, check, progress);
    const projections = new SqliteProjections(db, reader, [sessionsProjection]);
    const { name, version } = sessionsProjection;
    out.log(`log ${file} (logId ${readMeta(db, 'logId')})`);
    // One read transaction: the chain and the projections are checked at the same head.
    const { chain, mismatches, checkpoint, snapshots } = db.transaction(() => {
      const found = projections.verify();
      return {
        chain: verifyChain(db, reader, check),
        mismatches: found,
        checkpoint: projections.checkpoint(name),
        snapshots: projections.snapshotStats(name),
      };
    })();
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
}
