import type { AnyEvent, Envelope, NewEvent } from './envelope.js';
import type { SessionEvent } from './schemas.js';

/**
 * `full`: a commit is on disk before the append resolves.
 * `normal`: survives a crash of the process but may lose the last commits on power loss.
 */
export type Durability = 'full' | 'normal';

/**
 * Events read per page wherever the log is copied or folded a page at a time (the NDJSON
 * stream, the CLI, projections catching up): bounds what is held in memory at once, and no
 * read cursor stays open while the caller writes.
 */
export const READ_PAGE = 1000;

/**
 * What the caller believes of the stream before its append:
 * - `'any'`: no check;
 * - `'no-stream'`: the stream has no events yet;
 * - `'exists'`: the stream has at least one event;
 * - a number: the stream's current version is exactly that.
 */
export type ExpectedVersion = 'any' | 'no-stream' | 'exists' | number;

export interface AppendOptions<E extends AnyEvent = AnyEvent> {
  expectedVersion?: ExpectedVersion;
  /**
   * With a numeric `expectedVersion`: an append that finds its stream moved on is decided
   * again instead of refused. The log calls this under its write lock with the stream's events
   * after `expectedVersion` (those committed by other writers, on any node, and those earlier
   * in the same commit) and appends what it returns; it throws to refuse the append. So a
   * writer that does not insist on a version never loses a race. It must be synchronous and
   * pure: a commit that is run again calls it again.
   */
  redecide?(missed: readonly Envelope<E>[]): readonly NewEvent<E>[];
  /**
   * A repeated key returns the first append's result and appends nothing, also after a
   * restart: the key is stored with its result in the append's transaction.
   */
  idempotencyKey?: string;
  /**
   * Tells one request from another under the same key (a repeat with another fingerprint
   * is refused). Defaults to a digest of the stream and the events.
   */
  fingerprint?: string;
}

export interface AppendResult<E extends AnyEvent = SessionEvent> {
  stream: string;
  /** Position of the first and of the last event appended. */
  firstPosition: number;
  position: number;
  /** The stream's version after the append. */
  version: number;
  /** True when an idempotency key repeated an earlier append and nothing was appended. */
  replayed: boolean;
  /** The events as recorded (empty for a replay: read them from the log). */
  events: readonly Envelope<E>[];
}

/** What the log remembers of an append made under an idempotency key. */
export interface IdempotencyRecord {
  fingerprint: string;
  result: AppendResult<never>;
}

/** An event as JSON text, with its position and type (what an SSE block names beside it). */
export interface EnvelopeText {
  position: number;
  type: string;
  json: string;
}

export interface ReadOptions {
  /** Events with a position strictly greater than this (default 0: from the start). */
  after?: number;
  /** Events with a position at most this (default: the head). */
  upTo?: number;
  /**
   * Events with a position strictly less than this, newest first (the page just below a
   * position: a timeline opens at its newest event). Without it, oldest first.
   */
  before?: number;
  limit?: number;
  streams?: readonly string[];
  types?: readonly string[];
}

/** Called after each commit with the events it made durable, in position order. */
export type CommitListener<E extends AnyEvent = SessionEvent> = (
  events: readonly Envelope<E>[],
) => void;

/**
 * The append-only log. Asynchronous throughout, so that a store whose I/O does not block
 * (PostgreSQL) fits the same interface as the embedded SQLite one.
 */
export interface EventStore<E extends AnyEvent = SessionEvent> {
  /** Random id made when the log was created: a client holding another id has a foreign log. */
  readonly logId: string;
  append(
    stream: string,
    events: readonly NewEvent<E>[],
    options?: AppendOptions<E>,
  ): Promise<AppendResult<E>>;
  /** The append an idempotency key was first used for, if any. */
  findIdempotencyKey(key: string): Promise<IdempotencyRecord | undefined>;
  read(options?: ReadOptions): Promise<Envelope<E>[]>;
  /**
   * The same events as `read`, as their JSON text (what a replay sends), for a store that can
   * make the text without decoding each event first. Optional: callers fall back to `read`.
   */
  readJson?(options?: ReadOptions): Promise<EnvelopeText[]>;
  readStream(stream: string, options?: Omit<ReadOptions, 'streams'>): Promise<Envelope<E>[]>;
  /** The position of the last committed event (0 for an empty log). */
  head(): Promise<number>;
  /** Learn of each commit as it happens, without polling. Returns the unsubscribe. */
  subscribe(listener: CommitListener<E>): () => void;
  /** Waits for the appends under way, then closes. */
  close(): Promise<void>;
}

/**
 * Work done inside the append's own transaction (projections): what it writes commits or
 * rolls back with the events, which is what makes reads after an append see it.
 */
export interface TransactionHook {
  /** The events of one append, just inserted. */
  apply(events: readonly Envelope<AnyEvent>[]): void;
  /** Once per committed batch, before the commit: `head` is the batch's last position. */
  committing?(head: number): void;
}
