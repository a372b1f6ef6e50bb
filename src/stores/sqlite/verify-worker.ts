/**
 * A worker thread of `verify`: checks one segment of the log (verify-segment.ts) on its own
 * read-only connection, folds the sessions projection over it from the same rows when asked
 * (verify-segment-fold.ts), and posts the report. `workerData`: the file, the segment, a
 * shared cell to write the position reached in (the progress line), and the fold's plan.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sessionEventVersions } from '../../events/event-types.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import { mapForScan, openDatabase } from './database.js';
import { checkSegment, type Segment } from './verify-segment.js';
import { SegmentFold, type SegmentFoldPlan } from './verify-segment-fold.js';

const { file, segment, reached, fold } = workerData as {
  file: string;
  segment: Segment;
  reached: BigInt64Array;
  fold?: SegmentFoldPlan;
};
const db = openDatabase(file, { readonly: true });
mapForScan(db);
try {
  const report = db.transaction(() => {
    const folding =
      fold === undefined
        ? undefined
        : new SegmentFold(db, segment, fold, sessionsProjection, sessionEventVersions);
    const checked = checkSegment(
      db,
      segment,
      // Once a page (1,000 rows): the main thread sums every thread's position and shows a
      // line each PROGRESS_EVERY the sum passes, however many threads share the log.
      (position) => {
        Atomics.store(reached, 0, BigInt(position));
        parentPort?.postMessage('progressed');
      },
      folding,
    );
    return folding === undefined ? checked : { ...checked, fold: folding.report() };
  })();
  parentPort?.postMessage(report);
} finally {
  db.close();
}
