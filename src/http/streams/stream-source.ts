import { boundaryAfter } from './offsets.js';
import type { TailSignal } from './tail-signal.js';

/** One message of a stream: the position it is at, and its bytes (JSON text in JSON mode). */
export interface StreamMessage {
  position: number;
  body: string | Uint8Array;
}

/**
 * A stream as the read code sees it, whatever holds it: positions 1, 2, 3, … of its log (a
 * stream may hold only some of them: a session's events), read by range.
 */
export interface StreamSource {
  /** Names the stream in ETags: no two streams (nor logs) share one. */
  readonly tag: string;
  readonly contentType: string;
  /** The tail: every message this stream will ever hold up to it is there. */
  head(): Promise<number>;
  /** The messages at positions in (after, upTo], in order, at most `limit` of them. */
  read(after: number, upTo: number, limit?: number): Promise<StreamMessage[]>;
  /** Wakes live reads when the tail moves. */
  readonly tail: TailSignal;
}

export interface Chunk {
  messages: StreamMessage[];
  /** The position the chunk ends at: the next read starts after it. */
  end: number;
  /** Every read from the same start answers the same chunk, now and for good. */
  complete: boolean;
  upToDate: boolean;
}

/**
 * The chunk a read after `after` answers, given the tail `head`: the messages up to the next
 * position boundary, so that a CDN caches each complete chunk once and forever. A stream that
 * holds few of the log's positions skips the ranges where it has nothing: its chunk ends on
 * the boundary after its next message, which is as fixed once written.
 */
export async function readChunk(source: StreamSource, after: number, head: number): Promise<Chunk> {
  let end = Math.min(head, boundaryAfter(after));
  let messages = after < end ? await source.read(after, end) : [];
  if (messages.length === 0 && end < head) {
    const [first] = await source.read(after, head, 1);
    if (first === undefined) end = head;
    else {
      end = Math.min(head, boundaryAfter(first.position - 1));
      messages = await source.read(after, end);
    }
  }
  // A chunk reaching the tail is not cached even on a boundary: it says Stream-Up-To-Date.
  const upToDate = end >= head;
  return { messages, end, complete: messages.length > 0 && !upToDate && isBoundary(end), upToDate };
}

function isBoundary(position: number): boolean {
  return boundaryAfter(position - 1) === position;
}
