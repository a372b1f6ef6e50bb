/**
 * What the main thread of `sessionlog import` and its checking thread say to each other
 * (src/cli/import-check-thread.ts, src/cli/import-check-worker.ts).
 */

/** Main → worker: bytes of the export, its end, or one batch taken off the queue. */
export type ToChecker = { type: 'chunk'; bytes: Uint8Array } | { type: 'end' } | { type: 'taken' };

/**
 * A batch of checked events as columns (one structured clone of a few arrays costs far less
 * than one of an object per event): the row each event is stored as, and its line.
 */
export interface CheckedColumns {
  position: Float64Array;
  version: Float64Array;
  line: Float64Array;
  id: string[];
  stream: string[];
  type: string[];
  time: string[];
  data: string[];
  meta: string[];
  hash: string[];
}

/** The Merkle tree's nodes a batch completes, as columns: node i's hash is bytes 32i..32i+32. */
export interface NodeColumns {
  level: Uint8Array;
  index: Float64Array;
  hash: Uint8Array;
}

/** Worker → main: a batch (and how far the check and the input are), the end, or why it stopped. */
export type FromChecker =
  | {
      type: 'batch';
      columns: CheckedColumns;
      nodes: NodeColumns;
      head: number;
      bytesRead: number;
    }
  | { type: 'done' }
  | { type: 'refused'; line: number | undefined; position: number | undefined; reason: string }
  | { type: 'failed'; message: string };
