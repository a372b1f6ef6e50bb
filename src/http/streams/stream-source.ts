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
  /**
   * Once the stream is closed (Durable Streams §4.1: no message can follow), the position of
   * its last message; undefined while it is open. A stream without it never closes.
   */
  closedAt?(): Promise<number | undefined>;
}

/** Where a stream ends now: its tail, and whether it is closed there for good. */
export interface StreamEnd {
  /** The log's head: no offset past it was ever given. */
  logHead: number;
  /** The stream's tail: the log's head, or the position it closed at. */
  head: number;
  closed: boolean;
}

export async function streamEnd(source: StreamSource): Promise<StreamEnd> {
  const [logHead, closedAt] = await Promise.all([source.head(), source.closedAt?.()]);
  // Closed once the head it reads reaches the closing event (on PostgreSQL a head read on one
  // connection may lag the closing event seen on another): never closed before it can be read.
  return closedAt === undefined || closedAt > logHead
    ? { logHead, head: logHead, closed: false }
    : { logHead, head: closedAt, closed: true };
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
 * the boundary after its next message, which is as fixed once written. Past `maxBytes`, the
 * chunk ends earlier, at a point as fixed (`byteCut`).
 */
export async function readChunk(
  source: StreamSource,
  after: number,
  head: number,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Chunk> {
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
  const cut = byteCut(messages, after, maxBytes);
  if (cut !== undefined) {
    end = cut;
    messages = messages.filter((message) => message.position <= cut);
  }
  // A chunk reaching the tail is not cached even on a boundary: it says Stream-Up-To-Date.
  const upToDate = end >= head;
  const fixed = isBoundary(end) || cut !== undefined;
  return { messages, end, complete: messages.length > 0 && !upToDate && fixed, upToDate };
}

/**
 * Where a chunk whose messages hold more than `maxBytes` ends instead: the largest multiple
 * of 100 whose messages fit, else of 10, else of 1 (but never before the first message, which
 * goes alone when it is larger than the bound). The first message that does not fit is below
 * the head, and what is below the head never changes: every reader from `after` gets the same
 * cut, today or in a year, so the chunk is as cacheable as one ending on a boundary.
 */
export function byteCut(
  messages: readonly StreamMessage[],
  after: number,
  maxBytes: number,
): number | undefined {
  let bytes = 1; // `[`, then each message and its `,` or `]`
  const over = messages.find((message) => {
    bytes += byteLength(message.body) + 1;
    return bytes > maxBytes;
  });
  const [first] = messages;
  if (over === undefined || first === undefined) return undefined;
  for (const step of [100, 10, 1]) {
    const cut = Math.floor((over.position - 1) / step) * step;
    if (cut > after && cut >= first.position) return cut;
  }
  return first.position;
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

function isBoundary(position: number): boolean {
  return boundaryAfter(position - 1) === position;
}
