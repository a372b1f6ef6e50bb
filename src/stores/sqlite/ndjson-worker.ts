/**
 * A worker thread of the export: makes the NDJSON of the position ranges it is asked for
 * (ndjson-parallel.ts), on its own read-only connection, and posts each range's bytes back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './database.js';
import type { NdjsonRange } from './ndjson-parallel.js';
import { SqliteEventReader } from './reader.js';

const db = openDatabase((workerData as { file: string }).file, { readonly: true });
// No event types: the caller made sure none needs upcasting (SQLite makes every line), and
// the schemas' code is not loaded into each thread.
const reader = new SqliteEventReader(db, {});
parentPort?.on('message', ({ index, after, upTo, types, streams }: NdjsonRange) => {
  const pages = [...(reader.ndjson({ after, upTo, types, streams }) ?? [])];
  const bytes = pages.length === 1 ? (pages[0] as Buffer) : Buffer.concat(pages);
  // Handed over, not copied, when the bytes are the whole of their memory.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  parentPort?.postMessage({ index, bytes }, whole ? [bytes.buffer as ArrayBuffer] : []);
});
parentPort?.once('close', () => db.close());
