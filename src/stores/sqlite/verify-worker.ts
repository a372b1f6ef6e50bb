/**
 * A worker thread of `verify`: started ahead (SegmentThreads), it loads its modules and waits
 * for its task (the file, the segment, a shared cell to write the position reached in, the
 * fold's plan); then it checks the segment (verify-segment.ts) on its own read-only
 * connection, folds the sessions projection over it from the same rows when asked
 * (verify-segment-fold.ts), posts the report and ends.
 */
import { parentPort } from 'node:worker_threads';
import { sessionEventVersions } from '../../events/event-types.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import { mapForScan, openDatabase } from './database.js';
import { checkSegment } from './verify-segment.js';
import { SegmentFold } from './verify-segment-fold.js';
import type { SegmentTask } from './verify-segments.js';

parentPort?.once('message', (task: SegmentTask) => {
  parentPort?.postMessage(checked(task));
});

function checked({ file, segment, reached, fold }: SegmentTask) {
  const db = openDatabase(file, { readonly: true });
  mapForScan(db);
  try {
    return db.transaction(() => {
      const folding =
        fold === undefined
          ? undefined
          : new SegmentFold(db, segment, fold, sessionsProjection, sessionEventVersions);
      const report = checkSegment(
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
      return folding === undefined ? report : { ...report, fold: folding.report() };
    })();
  } finally {
    db.close();
  }
}
