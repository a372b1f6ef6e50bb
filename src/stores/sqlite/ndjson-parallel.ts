import type { Worker } from 'node:worker_threads';
import type { ReadOptions } from '../../events/store.js';
import { startWorker } from '../../workers/start-worker.js';

/**
 * Positions per range a thread makes at once: about 640 KB of NDJSON for typical events. At
 * 20,000 (6 MB) each range's text, its copy into a Buffer and its write were on fresh pages,
 * and faulting them in cost a fifth of the export (1.35 against 1.60 s on the big log).
 */
export const RANGE = 2_000;

/** Ranges asked of each thread ahead of the writer: what bounds the memory the export holds. */
const AHEAD = 2;

/** One range of the export: positions (after, upTo], with the command's filters. */
export interface NdjsonRange extends Pick<ReadOptions, 'types' | 'streams'> {
  index: number;
  after: number;
  upTo: number;
}

/**
 * The export's NDJSON of positions (after, upTo], in order, made by `threads` worker threads,
 * each with its own read-only connection, a range of RANGE positions at a time: SQLite makes
 * the text, and that is the whole cost of an export, so threads divide it. Rows up to upTo
 * never change, so each range is what one read would have given. At most AHEAD ranges per
 * thread wait to be written. A thread that fails fails the export, naming its range.
 */
export async function* parallelNdjson(
  file: string,
  options: Pick<ReadOptions, 'types' | 'streams'> & { after: number; upTo: number },
  threads: number,
  range = RANGE,
): AsyncGenerator<Buffer> {
  const { after, upTo, types, streams } = options;
  const ranges: NdjsonRange[] = [];
  for (let from = after; from < upTo; from += range) {
    ranges.push({
      index: ranges.length,
      after: from,
      upTo: Math.min(upTo, from + range),
      types,
      streams,
    });
  }
  const pending = new Map<
    number,
    { resolve: (bytes: Buffer) => void; reject: (error: Error) => void }
  >();
  const results: Promise<Buffer>[] = [];
  const workers: Worker[] = [];
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const { reject } of pending.values()) reject(failure);
    pending.clear();
  };
  for (let i = 0; i < Math.min(threads, ranges.length); i++) {
    const worker = startWorker(new URL('./ndjson-worker', import.meta.url), {
      workerData: { file },
    });
    worker.on('message', ({ index, bytes }: { index: number; bytes: Uint8Array }) => {
      pending.get(index)?.resolve(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      pending.delete(index);
    });
    worker.once('error', (error) =>
      fail(new Error(`the export's thread failed: ${error.message}`)),
    );
    worker.once('exit', (code) => {
      if (pending.size > 0)
        fail(new Error(`the export's thread ended (exit code ${code}) mid-range`));
    });
    workers.push(worker);
  }
  // Range i goes to thread i mod threads, asked for when range i − AHEAD·threads is written.
  const ask = (index: number) => {
    const range = ranges[index];
    if (range === undefined) return;
    results[index] = new Promise<Buffer>((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      pending.set(index, { resolve, reject });
      workers[index % workers.length]?.postMessage(range);
    });
    results[index]?.catch(() => {}); // awaited in order below
  };
  const ahead = AHEAD * workers.length;
  try {
    for (let i = 0; i < Math.min(ahead, ranges.length); i++) ask(i);
    for (let i = 0; i < ranges.length; i++) {
      const bytes = await (results[i] as Promise<Buffer>);
      delete results[i];
      ask(i + ahead);
      if (bytes.length > 0) yield bytes;
    }
  } finally {
    for (const worker of workers) void worker.terminate();
  }
}
