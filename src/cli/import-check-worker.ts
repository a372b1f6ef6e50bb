/**
 * The checking thread of `sessionlog import`: splits the export into lines and runs every
 * line through ImportCheck, in order, exactly as a single thread would, and (when the
 * backend asks) folds the sessions projection on the envelopes it parsed, snapshots made;
 * the main thread meanwhile writes the batches before. See import-check-thread.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ImportCheck, ImportRefused } from '../events/import-check.js';
import { sessionEventTypes } from '../events/schemas.js';
import type { EventColumns, ImportFold } from '../stores/log-backend.js';
import type { CheckerData, FromChecker, ToChecker } from './import-check-messages.js';
import { ImportSessionsFold } from './import-fold.js';
import { ndjsonLines } from './ndjson-reader.js';

/**
 * Events per batch: the unit the main thread writes in one transaction. Small enough that a
 * batch being filled dies young: at 10,000 the columns outlived the young generation and the
 * collector's threads spent 4.4 s of CPU moving them (1.6 s at 2,000) on the big log.
 */
const BATCH = 2_000;
/** Batches posted and not yet taken: enough to keep the writer busy, few enough to hold. */
const AHEAD = 4;

/**
 * Bytes decoded into one string at most: a larger chunk (the input was once read 1 MiB at a
 * time) makes a string too large for the young generation, allocated on fresh pages each
 * time, and faulting them in cost more than the decoding.
 */
const DECODED = 64 * 1024;

const port = parentPort;
if (port === null) throw new Error('import-check-worker runs as a worker thread');

const chunks: (Uint8Array | null)[] = [];
let posted = 0;
let taken = 0;
// One waiter at a time: reading the input and posting a batch happen in one loop, in turn.
let wake: (() => void) | undefined;
port.on('message', (message: ToChecker) => {
  if (message.type === 'chunk') chunks.push(message.bytes);
  else if (message.type === 'end') chunks.push(null);
  else taken++;
  wake?.();
});
const changed = () =>
  new Promise<void>((resolve) => {
    wake = resolve;
  });

async function* input(): AsyncGenerator<Buffer> {
  for (;;) {
    while (chunks.length === 0) await changed();
    const chunk = chunks.shift();
    if (chunk === null || chunk === undefined) return;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let at = 0; at < bytes.length; at += DECODED) yield bytes.subarray(at, at + DECODED);
  }
}

const empty = (): EventColumns => ({
  position: new Float64Array(BATCH),
  version: new Float64Array(BATCH),
  line: new Float64Array(BATCH),
  id: [],
  stream: [],
  type: [],
  time: [],
  data: [],
  meta: [],
  hash: [],
});

/** Columns cut to the `n` events they hold. */
const cut = (columns: EventColumns, n: number): EventColumns => ({
  ...columns,
  position: columns.position.slice(0, n),
  version: columns.version.slice(0, n),
  line: columns.line.slice(0, n),
});

async function post(message: FromChecker): Promise<void> {
  if (message.type === 'batch') {
    while (posted - taken >= AHEAD) await changed();
    posted++;
  }
  const moved =
    message.type === 'batch' ? (message.fold?.snapshots ?? []).map((s) => s.data.buffer) : [];
  port?.postMessage(message, moved as ArrayBuffer[]);
}

async function run(): Promise<void> {
  const check = new ImportCheck(sessionEventTypes);
  const sessions = (workerData as CheckerData).fold ? new ImportSessionsFold() : undefined;
  let columns = empty();
  let n = 0;
  let bytes = 0;
  const batch = (checked: EventColumns, fold: ImportFold | undefined): FromChecker => ({
    type: 'batch',
    events: checked,
    ...(fold === undefined ? {} : { fold }),
    head: check.head,
    bytesRead: bytes,
  });
  for await (const lines of ndjsonLines(input())) {
    for (const { text, line, bytesRead } of lines) {
      const previousHash = check.lastHash;
      const { row, envelope } = check.next(text, line);
      sessions?.apply(envelope, previousHash);
      columns.position[n] = row.position;
      columns.version[n] = row.version;
      columns.line[n] = line;
      columns.id.push(row.id);
      columns.stream.push(row.stream);
      columns.type.push(row.type);
      columns.time.push(row.time);
      columns.data.push(row.data);
      columns.meta.push(row.meta);
      columns.hash.push(row.hash);
      bytes = bytesRead;
      if (++n === BATCH) {
        await post(batch(columns, sessions?.taken()));
        columns = empty();
        n = 0;
      }
    }
  }
  // The last batch, even without events: it carries the fold's end.
  await post(batch(cut(columns, n), sessions?.finish(check.head, check.lastHash)));
  await post({ type: 'done' });
}

run().catch((error: unknown) => {
  port.postMessage(
    error instanceof ImportRefused
      ? { type: 'refused', line: error.line, position: error.position, reason: error.reason }
      : { type: 'failed', message: (error as Error).stack ?? String(error) },
  );
});
