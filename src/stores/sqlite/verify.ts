import { existsSync } from 'node:fs';
import { FreshRoot } from '../../checkpoints/fresh-root.js';
import { rootPlan } from '../../checkpoints/merkle-plans.js';
import { sessionEventVersions } from '../../events/event-types.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { LogCheck, ReportOutput } from '../log-backend.js';
import { conclude, reportChain } from '../verify-report.js';
import { reportTree, type TreeReport } from '../verify-tree.js';
import { mapForScan, openDatabase, readMeta, type SqliteDatabase } from './database.js';
import { sqliteEventHashes } from './event-hashes.js';
import { SqliteTree } from './merkle-tree.js';
import { ProgressReader } from './progress-reader.js';
import { SqliteProjections } from './projections.js';
import { SqliteEventReader } from './reader.js';
import { hasTreeTable, verifyChain } from './verify-chain.js';
import { verifyTableFrom } from './verify-projection.js';
import { TREE_BLOCK } from './verify-segment.js';
import { foldedInSegments, type SegmentFoldPlan } from './verify-segment-fold.js';
import {
  checkSegments,
  defaultSegments,
  PROGRESS_EVERY,
  type SegmentChecks,
} from './verify-segments.js';

/**
 * `verify` on a log file, opened read-only: the chain, the triggers, the end, and each
 * projection's table and snapshots against a fresh fold, at one head.
 */
export async function verifySqliteLog(
  file: string,
  out: ReportOutput,
  also?: LogCheck,
  options: { segments?: number; block?: number } = {},
): Promise<number> {
  if (!existsSync(file)) {
    out.error(`sessionlog verify: no log at ${file}`);
    return 2;
  }
  const db = openDatabase(file, { readonly: true });
  mapForScan(db);
  let checks: SegmentChecks | undefined;
  try {
    const logId = readMeta(db, 'logId') ?? '';
    out.log(`log ${file} (logId ${logId})`);
    // One read snapshot for everything this thread reads; the threads that check the chain
    // and the tree read positions 1..head, which no later commit changes.
    db.exec('BEGIN');
    const head = new SqliteEventReader(db, sessionEventVersions).head();
    const reader = new ProgressReader(db, sessionEventVersions, (position) =>
      out.reached?.(position, head),
    );
    const projections = new SqliteProjections(db, reader, [sessionsProjection]);
    const { name, version } = sessionsProjection;
    const checkpoint = projections.checkpoint(name);
    // The threads fold the projection as they check the chain, each segment from the snapshot
    // before it; only when they agree with every snapshot and the table is their word taken.
    const plan: SegmentFoldPlan = {
      snapshotsUpTo: projections.latestSnapshot(name),
      table: checkpoint?.version === version ? checkpoint : undefined,
    };
    // The progress line: the events checked by all the threads, in steps of PROGRESS_EVERY.
    let shown = 0;
    const progressed = () => {
      const done = checks?.done() ?? 0;
      if (done - shown < PROGRESS_EVERY) return;
      shown = done - (done % PROGRESS_EVERY);
      out.reached?.(shown, head);
    };
    checks = checkSegments(
      file,
      head,
      options.segments ?? defaultSegments(),
      options.block ?? TREE_BLOCK,
      { fold: plan, progressed },
    );
    // Counted while the threads check (a scan of the snapshots: a tenth of a second on a
    // million events, which delayed their start).
    const snapshots = projections.snapshotStats(name);
    const segments = await checks.report;
    const verdict = foldedInSegments(segments.folds, plan, head);
    // The table seen from a snapshot the threads found equal to the fold; a row that differs
    // is reported from the one-pass fold (which knows the last position that changed it).
    const table =
      verdict.kind === 'table not compared'
        ? verifyTableFrom(db, projections.verifyTarget(name), verdict.checked)
        : undefined;
    const mismatches = verdict.kind === 'agree' || table?.length === 0 ? [] : projections.verify();
    const chain = verifyChain(db, segments.chain);
    // Rows at positions the chain does not expect (a gap, a position below 1) are leaves too:
    // the tree is then computed over the rows as they are, in one pass.
    const belowOne = db.prepare('SELECT 1 FROM events WHERE position <= 0 LIMIT 1').get();
    const fresh = belowOne === undefined ? segments.tree : undefined;
    const tree = compareTree(db, head, () => fresh ?? freshRootInOnePass(db));
    db.exec('COMMIT');
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
    checks?.stop();
    db.close();
  }
}

/** The stored tree's size and root at the head against the root of the events' hashes. */
export function verifyTree(db: SqliteDatabase, reader: SqliteEventReader): TreeReport {
  return compareTree(db, reader.head(), () => freshRootInOnePass(db));
}

/**
 * The root of every stored event's hash, in position order, in this thread: what the
 * segments give when the rows are exactly positions 1..head, and rebuild's check.
 */
function freshRootInOnePass(db: SqliteDatabase): { fresh: Buffer } | { unreadable: string } {
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
    return { unreadable: (error as Error).message };
  }
  return { fresh: fresh.root() };
}

/** The stored tree at `head` against the root `compute` gives (not asked when there is none). */
function compareTree(
  db: SqliteDatabase,
  head: number,
  compute: () => { fresh: Buffer } | { unreadable: string },
): TreeReport {
  if (!hasTreeTable(db)) {
    return Number(readMeta(db, 'schemaVersion')) >= 2 ? { kind: 'missing' } : { kind: 'not-kept' };
  }
  const computed = compute();
  if ('unreadable' in computed) return { kind: 'unreadable', reason: computed.unreadable };
  const tree = new SqliteTree(db);
  const size = tree.size();
  const checked = { kind: 'checked' as const, size, head, fresh: computed.fresh };
  if (size !== head) return checked;
  const plan = rootPlan(head);
  return { ...checked, stored: plan.finish(tree.readNodes(plan.keys)) };
}
