import { ImportRefused } from '../events/import-check.js';
import type { ImportBatch } from '../stores/log-backend.js';
import { startWorker } from '../workers/start-worker.js';
import type { CheckerData, FromChecker, ToChecker } from './import-check-messages.js';
import { ImportTree } from './import-tree.js';

/** Bytes of the export sent to the checking thread and not yet read by it. */
const WINDOW = 8 * 1024 * 1024;

/** A batch of checked lines and its tree nodes, how many events are checked so far and how many bytes read. */
export interface CheckedBatch extends ImportBatch {
  head: number;
  bytesRead: number;
}

/**
 * The lines of an export checked by ImportCheck in a thread of their own (parsing, the
 * schemas and the hashes are most of an import's work), in order, a batch at a time, while
 * the caller writes the batches before: the two cores work at once. The check is the same
 * code with the same messages; a refusal is thrown here as the ImportRefused it was.
 */
export async function* checkedInThread(
  input: AsyncIterable<Buffer | string>,
  options: CheckerData,
): AsyncGenerator<CheckedBatch> {
  // The tree is hashed here, not in the checking thread, which has the more work of the two.
  const tree = new ImportTree();
  const worker = startWorker(new URL('./import-check-worker', import.meta.url), {
    workerData: options,
  });
  const send = (message: ToChecker) => worker.postMessage(message);
  const inbox: FromChecker[] = [];
  let failure: unknown;
  // The reader of the input and the consumer of the batches both wait for news.
  let waiting: (() => void)[] = [];
  const changed = () => new Promise<void>((resolve) => waiting.push(resolve));
  const wake = () => {
    const woken = waiting;
    waiting = [];
    for (const resolve of woken) resolve();
  };
  let bytesRead = 0;
  worker.on('message', (message: FromChecker) => {
    inbox.push(message);
    if (message.type === 'batch') bytesRead = message.bytesRead;
    wake();
  });
  worker.on('error', (error) => {
    failure ??= error;
    wake();
  });
  worker.on('exit', (code) => {
    failure ??= new Error(`the import's checking thread stopped (exit code ${code})`);
    wake();
  });
  let stopped = false;
  // The input is read ahead of the check by at most WINDOW bytes.
  let read = false;
  const pump = async () => {
    let sent = 0;
    for await (const chunk of input) {
      if (stopped) return;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      sent += bytes.length;
      // A chunk that owns its memory (a file's reads each allocate one) is handed over, not
      // copied: this thread writes the log, and is the busier of the two.
      const { buffer } = bytes;
      const owned =
        buffer instanceof ArrayBuffer &&
        bytes.byteOffset === 0 &&
        bytes.byteLength === buffer.byteLength;
      worker.postMessage({ type: 'chunk', bytes } satisfies ToChecker, owned ? [buffer] : []);
      while (sent - bytesRead > WINDOW && !stopped && failure === undefined) await changed();
      if (stopped) return;
    }
    read = true;
    send({ type: 'end' });
  };
  const pumping = pump().catch((error: unknown) => {
    failure ??= error;
    wake();
  });
  try {
    for (;;) {
      while (inbox.length === 0 && failure === undefined) await changed();
      if (failure !== undefined) throw failure;
      const message = inbox.shift() as FromChecker;
      if (message.type === 'done') return;
      if (message.type === 'refused') {
        throw new ImportRefused(message.line, message.position, message.reason);
      }
      if (message.type === 'failed')
        throw new Error(`the import's check failed: ${message.message}`);
      send({ type: 'taken' });
      const { type: _, events, fold, head, bytesRead: read } = message;
      // Leaf i is the event at position i + 1: the check lets no gap through.
      const nodes = tree.append(events.hash);
      yield { events, nodes, ...(fold === undefined ? {} : { fold }), head, bytesRead: read };
    }
  } finally {
    stopped = true;
    wake();
    await worker.terminate();
    // Stopped before the input's end (a refusal): it is closed now, as a loop over it closes
    // it on a break, instead of once a chunk comes that may never come (a terminal).
    if (!read) (input as { destroy?: () => void }).destroy?.();
    await pumping;
  }
}
