import type { RebuildReport, ReportOutput } from './log-backend.js';

/** What verify found of the stored tree against the events' hashes. */
export type TreeReport =
  /** A log written before the tree was kept, not served since: nothing to compare yet. */
  | { kind: 'not-kept' }
  /** The schema says the log keeps a tree, and its table is gone. */
  | { kind: 'missing' }
  /** An event's stored hash is no hash at all (the chain check names it). */
  | { kind: 'unreadable'; reason: string }
  | { kind: 'checked'; size: number; head: number; stored?: Buffer; fresh: Buffer };

/** The tree as one report line; returns the positions found bad (0: no position to name). */
export function reportTree(report: TreeReport, out: ReportOutput): number[] {
  if (report.kind === 'not-kept') {
    out.log(
      'tree         not built yet: the log was written before sessionlog kept one (serve or rebuild builds it)',
    );
    return [];
  }
  if (report.kind === 'missing') {
    out.log('tree         MISSING: the log keeps a Merkle tree and its table merkle_nodes is gone');
    return [0];
  }
  if (report.kind === 'unreadable') {
    out.log(`tree         NOT COMPARED: ${report.reason}`);
    return [0];
  }
  const { size, head, stored, fresh } = report;
  if (size !== head) {
    out.log(
      `tree         WRONG SIZE: the stored tree covers ${size} events, the log holds ${head}`,
    );
    return [Math.min(size, head) + 1];
  }
  if (stored === undefined || !stored.equals(fresh)) {
    out.log(
      `tree         DISAGREES: the stored root of size ${head} is ${stored?.toString('base64')}, the events' hashes give ${fresh.toString('base64')}`,
    );
    return [0];
  }
  out.log(
    `tree         ${head} leaves, root ${fresh.toString('base64')} equals a fresh computation from the events' hashes`,
  );
  return [];
}

/** What `rebuild` says of the tree it extended and checked; throws when it is wrong. */
export function treeRebuildReport(report: TreeReport, started: number): RebuildReport {
  const lines: string[] = [];
  const bad = reportTree(report, { log: (line) => lines.push(line), error: () => {} });
  const line = lines.join('; ').replace(/^tree\s+/, '');
  if (bad.length > 0) throw new Error(`the stored Merkle tree is wrong: ${line}`);
  return {
    name: 'tree',
    events: report.kind === 'checked' ? report.head : 0,
    ms: performance.now() - started,
    summary: `checked tree: ${line}`,
  };
}
