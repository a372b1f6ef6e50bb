/**
 * A worker thread of `verify`: checks one segment of the log (verify-segment.ts) on its own
 * read-only connection and posts the report. `workerData`: the file, the segment, and a
 * shared cell to write the position reached in (the progress line).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { mapForScan, openDatabase } from './database.js';
import { checkSegment, type Segment } from './verify-segment.js';

const { file, segment, reached } = workerData as {
  file: string;
  segment: Segment;
  reached: BigInt64Array;
};
const db = openDatabase(file, { readonly: true });
mapForScan(db);
try {
  const report = db.transaction(() =>
    checkSegment(db, segment, (position) => Atomics.store(reached, 0, BigInt(position))),
  )();
  parentPort?.postMessage(report);
} finally {
  db.close();
}
