import { existsSync } from 'node:fs';
import { FreshRoot } from '../../checkpoints/fresh-root.js';
import { rootPlan } from '../../checkpoints/merkle-plans.js';
import { ChainCheck } from '../../events/chain-check.js';
import { sessionEventTypes } from '../../events/schemas.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { LogCheck, ReportOutput } from '../log-backend.js';
import { conclude, reportChain } from '../verify-report.js';
import { reportTree, type TreeReport } from '../verify-tree.js';
import { ChainCheckingReader } from './chain-checking-reader.js';
import { openDatabase, readMeta, type SqliteDatabase } from './database.js';
import { sqliteEventHashes } from './event-hashes.js';
import { SqliteTree } from './merkle-tree.js';
import { SqliteProjections } from './projections.js';
import { SqliteEventReader } from './reader.js';
import { hasTreeTable, verifyChain } from './verify-chain.js';

/**
 * `verify` on a log file, opened read-only: the chain, the triggers, the end, and each
 * projection's table and snapshots against a fresh fold, at one head.
 */
export async function verifySqliteLog(
  file: string,
  out: ReportOutput,
  also?: LogCheck,
): Promise<number> {
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
    const logId = readMeta(db, 'logId') ?? '';
    out.log(`log ${file} (logId ${logId})`);
    // One read transaction: the chain and the projections are checked at the same head.
    const { chain, tree, mismatches, checkpoint, snapshots } = db.transaction(() => {
      const found = projections.verify();
      return {
        chain: verifyChain(db, reader, check),
        tree: verifyTree(db, reader),
        mismatches: found,
        checkpoint: projections.checkpoint(name),
        snapshots: projections.snapshotStats(name),
      };
    })();
    const bad = reportChain(chain, out);
    bad.push(...reportTree(tree, out));
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
    if (also !== undefined) {
      bad.push(...(await also.check(logId, sqliteEventHashes(db, also.upTo), out)));
    }
    return conclude(bad, out);
  } finally {
    db.close();
  }
}

/** The stored tree's size and root at the head against the root of the events' hashes. */
export function verifyTree(db: SqliteDatabase, reader: SqliteEventReader): TreeReport {
  if (!hasTreeTable(db)) {
    return Number(readMeta(db, 'schemaVersion')) >= 2 ? { kind: 'missing' } : { kind: 'not-kept' };
  }
  const fresh = new FreshRoot();
  const hashes = db.prepare('SELECT hash FROM events ORDER BY position').pluck();
  let page: string[] = [];
  try {
    for (const hash of hashes.iterate() as IterableIterator<string>) {
      page.push(hash);
      if (page.length === 1000) {
        fresh.add(page);
        page = [];
      }
    }
    fresh.add(page);
  } catch (error) {
    return { kind: 'unreadable', reason: (error as Error).message };
  }
  const tree = new SqliteTree(db);
  const size = tree.size();
  const head = reader.head();
  const checked = { kind: 'checked' as const, size, head, fresh: fresh.root() };
  if (size !== head) return checked;
  const plan = rootPlan(head);
  return { ...checked, stored: plan.finish(tree.readNodes(plan.keys)) };
}
