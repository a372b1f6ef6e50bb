import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { FreshRoot } from '../../checkpoints/fresh-root.js';
import { startWorker } from '../../workers/start-worker.js';
import { type Segment, type SegmentReport, TREE_BLOCK } from './verify-segment.js';
import type { SegmentFoldPlan, SegmentFoldReport } from './verify-segment-fold.js';

/** Events checked, over all the threads, between two progress lines. */
export const PROGRESS_EVERY = 10_000;

/** A segment's report, with its fold's when it was asked to fold. */
type FoldedSegmentReport = SegmentReport & { fold?: SegmentFoldReport };

/** What the segments found together: the chain over 1..head and the tree's fresh root. */
export interface SegmentsReport {
  chain: SegmentReport['chain'];
  /**
   * The root of the events' hashes, or why one is not a leaf; undefined when the rows are not
   * exactly positions 1..head (the chain names the gap; the caller computes the root in one
   * pass, as the rows are).
   */
  tree: { fresh: Buffer } | { unreadable: string } | undefined;
  /** Each segment's fold, in order, when they were asked to fold. */
  folds?: (Segment & SegmentFoldReport)[];
}

/** Checks in flight: their progress, and their report. */
export interface SegmentChecks {
  /** Events checked so far, over all segments. */
  done(): number;
  report: Promise<SegmentsReport>;
  /** Ends the threads still running (the caller gave up: the fold failed). */
  stop(): void;
}

/**
 * Threads for the chain, the tree and the fold: one per core, at least two, at most eight
 * (the main thread waits for them). Each segment after the first starts from a stored
 * snapshot, decoded once per segment: more segments than cores would only add those.
 */
export function defaultSegments(): number {
  return Math.max(2, Math.min(8, availableParallelism()));
}

/**
 * Positions 1..head in at most `count` runs of about the same length, each starting at a
 * multiple of `block` (the last ends at the head), so that each segment's blocks are nodes of
 * the whole tree. The check ends with its longest thread, so each boundary is the multiple of
 * `block` nearest its even share. (Equal counts of whole blocks, as before, cut 1,090,001
 * events into 589,824 + 500,177 with 2^16-blocks.)
 */
export function planSegments(head: number, count: number, block = TREE_BLOCK): Segment[] {
  const segments: Segment[] = [];
  let after = 0;
  for (let i = 1; i <= count && after < head; i++) {
    const share = Math.round((head * i) / count / block) * block;
    const upTo = i === count ? head : Math.min(head, share);
    if (upTo <= after) continue;
    segments.push({ after, upTo, block });
    after = upTo;
  }
  return segments;
}

/**
 * Checks the chain and computes the tree over positions 1..head of the log `file`, each
 * segment in a worker thread with its own read-only connection (rows up to the head never
 * change, so every thread sees the same events whatever was appended since). A worker that
 * fails fails the whole check, naming its positions, and the others are stopped: nothing
 * waits on a thread that is gone.
 */
export function checkSegments(
  file: string,
  head: number,
  count: number,
  block = TREE_BLOCK,
  also: {
    /** The projection to fold over each segment, as the main thread saw the log. */
    fold?: SegmentFoldPlan;
    /** Told each time a thread has checked another page (1,000 events) of its segment. */
    progressed?: () => void;
  } = {},
): SegmentChecks {
  const { fold, progressed } = also;
  const segments = planSegments(head, count, block);
  const reached = segments.map(({ after }) => {
    const cell = new BigInt64Array(new SharedArrayBuffer(8));
    cell[0] = BigInt(after);
    return cell;
  });
  const workers: Worker[] = [];
  const reports = segments.map(
    (segment, i) =>
      new Promise<FoldedSegmentReport>((resolve, reject) => {
        const failed = (why: string) =>
          reject(
            new Error(
              `the check of positions ${segment.after + 1}..${segment.upTo} failed in its thread: ${why}`,
            ),
          );
        const worker = startWorker(new URL('./verify-worker', import.meta.url), {
          workerData: { file, segment, reached: reached[i], fold },
        });
        workers.push(worker);
        worker.on('message', (message: FoldedSegmentReport | 'progressed') => {
          if (message === 'progressed') progressed?.();
          else resolve(message);
        });
        worker.once('error', (error) => failed(error.message));
        worker.once('exit', (code) =>
          failed(`the thread ended (exit code ${code}) with no report`),
        );
      }),
  );
  const stop = () => {
    for (const worker of workers) void worker.terminate();
  };
  const report = Promise.all(reports).then(
    (done) => combine(done, head),
    (error: unknown) => {
      stop();
      throw error;
    },
  );
  // Awaited once the caller's own work is done; a failure meanwhile is not unhandled.
  report.catch(() => {});
  return {
    stop,
    done: () =>
      segments.reduce((sum, { after }, i) => sum + Number(reached[i]?.[0] ?? 0n) - after, 0),
    report,
  };
}

/** The segments' reports, in order, as one: the first break, the first unreadable hash. */
export function combine(reports: readonly FoldedSegmentReport[], head: number): SegmentsReport {
  const folds = reports.flatMap(({ after, upTo, block, fold }) =>
    fold === undefined ? [] : [{ after, upTo, block, ...fold }],
  );
  return { ...combineChecks(reports, head), ...(folds.length === 0 ? {} : { folds }) };
}

function combineChecks(reports: readonly SegmentReport[], head: number): SegmentsReport {
  let events = 0;
  let chain: SegmentReport['chain'] = { events: 0, head: 0 };
  for (const report of reports) {
    chain = { ...report.chain, events: events + report.chain.events };
    if (report.chain.broken !== undefined) break;
    events = chain.events;
  }
  const fresh = new FreshRoot();
  for (const { tree } of reports) {
    if ('unreadable' in tree) return { chain, tree };
  }
  const leaves = reports.reduce((sum, report) => sum + report.leaves, 0);
  if (leaves !== head) return { chain, tree: undefined };
  for (const { tree } of reports)
    if ('edge' in tree) for (const node of tree.edge) fresh.addSubtree(node);
  return { chain, tree: { fresh: fresh.root() } };
}
