/**
 * What the main thread of `sessionlog import` and its checking thread say to each other
 * (src/cli/import-check-thread.ts, src/cli/import-check-worker.ts).
 */

import type { EventColumns, ImportFold } from '../stores/log-backend.js';

/** What the checking thread is started with: whether it folds the sessions projection (LogBackend.importFold). */
export interface CheckerData {
  fold: boolean;
}

/** Main → worker: bytes of the export, its end, or one batch taken off the queue. */
export type ToChecker = { type: 'chunk'; bytes: Uint8Array } | { type: 'end' } | { type: 'taken' };

/** Worker → main: a batch (and how far the check and the input are), the end, or why it stopped. */
export type FromChecker =
  | {
      type: 'batch';
      events: EventColumns;
      fold?: ImportFold;
      head: number;
      bytesRead: number;
    }
  | { type: 'done' }
  | { type: 'refused'; line: number | undefined; position: number | undefined; reason: string }
  | { type: 'failed'; message: string };
