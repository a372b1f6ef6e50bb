import type { AnyEvent, Envelope } from '../../events/envelope.js';
import { envelopeJson } from '../../events/envelope-json.js';
import type { EventStore } from '../../events/store.js';
import { CloseCode } from '../../protocol/close-codes.js';
import type { ServerFrame } from '../../protocol/frames.js';
import type { SubscriptionObserver, Transport } from './subscription-observer.js';
import type { BatchLimits, WireEncoder } from './wire-encoder.js';

/** Where a subscription writes: a WebSocket, or a Server-Sent Events response. */
export interface Sink {
  /** Bytes accepted but not yet written to the network. */
  readonly buffered: number;
  /**
   * A text frame; `done` runs once it has been handed to the network (or failed), which may
   * be before `send` returns.
   */
  send(frame: string | Buffer, done: () => void): void;
  close(code: number, reason: string): void;
}

export interface FlowLimits extends BatchLimits {
  /** Stop pushing above this many buffered bytes; catch up from the log once drained. */
  highWater: number;
  /** SPEC: at most 1 MiB buffered per connection; past it the client is closed with 4408. */
  maxBuffered: number;
  /** A client that stays above the high water mark this long is closed with 4408. */
  slowClientMs: number;
  /** Live watermarks (`position` frames) at most this often. */
  watermarkMs: number;
}

export const DEFAULT_LIMITS: FlowLimits = {
  events: 1000,
  bytes: 256 * 1024,
  highWater: 256 * 1024,
  maxBuffered: 1024 * 1024,
  slowClientMs: 30_000,
  watermarkMs: 1000,
};

export interface SubscriptionOptions {
  store: Pick<EventStore<AnyEvent>, 'read' | 'readJson'>;
  sink: Sink;
  /** How messages look on the sink's wire. */
  encoder: WireEncoder;
  /** The last position the client has; every matching event after it is delivered. */
  after: number;
  /** The head when the client connected. */
  head: number;
  streams: readonly string[] | undefined;
  types: readonly string[] | undefined;
  limits: FlowLimits;
  clock?: () => number;
  observer?: SubscriptionObserver | undefined;
}

/** Open subscriptions, and the bytes buffered for them (each bounded, SPEC: 1 MiB). */
export interface BufferStats {
  connections: number;
  buffered: number;
  maxBuffered: number;
}

/** The stats of a set of subscriptions (all of a server's, or one transport's). */
export function bufferStats(subscriptions: Iterable<Subscription>): BufferStats {
  const stats: BufferStats = { connections: 0, buffered: 0, maxBuffered: 0 };
  for (const { buffered } of subscriptions) {
    stats.connections++;
    stats.buffered += buffered;
    stats.maxBuffered = Math.max(stats.maxBuffered, buffered);
  }
  return stats;
}

/**
 * One client's view of the log: a cursor, not a queue. Every matching event with a position
 * above the cursor is sent exactly once, in order: live commits are pushed straight through
 * while the client keeps up and they follow the cursor; anything else (the replay, a client
 * that fell behind, commits that arrived mid-read) is read back from the log by position.
 * The server never holds more than the socket's bounded buffer for a client.
 */
export class Subscription {
  readonly #options: SubscriptionOptions;
  readonly #streams: ReadonlySet<string> | undefined;
  readonly #types: ReadonlySet<string> | undefined;
  readonly #filtered: boolean;
  readonly #clock: () => number;
  /** Every matching event at or below it has been sent (or filtered out). */
  #cursor: number;
  /** The highest committed position known. */
  #head: number;
  /** The highest position the client has been told of (by an event, `live` or `position`). */
  #told: number;
  #live = false;
  #reading = false;
  #closed = false;
  #congestedSince: number | undefined;
  #watermarkTimer: NodeJS.Timeout | undefined;
  #lastWatermarkAt = 0;
  /** When the client last received anything (heartbeats are due 15 s after). */
  lastSentAt: number;

  constructor(options: SubscriptionOptions) {
    this.#options = options;
    this.#streams = options.streams === undefined ? undefined : new Set(options.streams);
    this.#types = options.types === undefined ? undefined : new Set(options.types);
    this.#filtered = this.#streams !== undefined || this.#types !== undefined;
    this.#clock = options.clock ?? Date.now;
    this.#cursor = options.after;
    this.#told = options.after;
    this.#head = options.head;
    this.lastSentAt = this.#clock();
  }

  get position(): number {
    return this.#cursor;
  }

  get transport(): Transport {
    return this.#options.encoder.transport;
  }

  /** The bytes its sink holds for the client (SPEC: at most 1 MiB). */
  get buffered(): number {
    return this.#options.sink.buffered;
  }

  /** Starts the replay from `after`; `live` follows once it reaches the head. */
  start(): void {
    void this.#catchUp();
  }

  /** Every commit of the log, in order, as it happens. */
  onCommit(events: readonly Envelope<AnyEvent>[]): void {
    const last = events.at(-1);
    if (this.#closed || last === undefined) return;
    this.#head = Math.max(this.#head, last.position);
    const follows = events[0]?.position === this.#cursor + 1;
    if (this.#live && !this.#reading && follows && !this.#congested()) {
      // The cursor first: a sink may say a frame was sent before `send` returns.
      this.#cursor = last.position;
      // Unfiltered subscribers all get the commit's own array, whose frames are encoded once.
      this.#deliver(this.#filtered ? events.filter((event) => this.#matches(event)) : events);
      this.#watermark();
    } else {
      void this.#catchUp();
    }
  }

  /** Sends a heartbeat when nothing else was sent for `idleMs`; closes a client stuck too long. */
  tick(now: number, idleMs: number, head: number): void {
    if (this.#closed) return;
    const tooSlow =
      (this.#congested() &&
        now - (this.#congestedSince ?? now) > this.#options.limits.slowClientMs) ||
      this.#options.sink.buffered > this.#options.limits.maxBuffered;
    if (tooSlow) {
      this.#options.observer?.slowConsumerClosed(
        this.#options.encoder.transport,
        this.#options.sink.buffered,
      );
      this.close(
        CloseCode.tooSlow,
        'client reads too slowly: reconnect with after = last position',
      );
    } else if (now - this.lastSentAt >= idleMs) {
      this.#send({ type: 'heartbeat', head });
    }
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#watermarkTimer);
    this.#options.sink.close(code, reason);
  }

  /** Marks the subscription closed when the transport closed by itself. */
  closed(): void {
    this.#closed = true;
    clearTimeout(this.#watermarkTimer);
  }

  /** Reads from the log until the cursor reaches the head, unless the client is congested. */
  async #catchUp(): Promise<void> {
    if (this.#reading || this.#closed) return;
    this.#reading = true;
    try {
      const { store, streams, types, limits, encoder } = this.#options;
      while (!this.#closed && this.#cursor < this.#head && !this.#congested()) {
        const upTo = this.#head;
        const page = {
          after: this.#cursor,
          upTo,
          limit: limits.events,
          ...(streams === undefined ? {} : { streams }),
          ...(types === undefined ? {} : { types }),
        };
        const texts = store.readJson
          ? await store.readJson(page)
          : (await store.read(page)).map((e) => ({
              position: e.position,
              type: e.type,
              json: envelopeJson(e),
            }));
        if (this.#closed) return;
        const last = texts.at(-1);
        if (last !== undefined) {
          for (const frame of encoder.replay(texts, limits)) this.#sendRaw(frame);
          this.#told = last.position;
          this.#options.observer?.replayed(encoder.transport, texts.length);
        }
        // A short page means nothing else matched up to `upTo`: the cursor may jump there.
        this.#cursor = texts.length < limits.events ? upTo : (last?.position ?? upTo);
        this.#watermark();
        // The reads are synchronous and a loopback socket never congests: without a turn of
        // the event loop between pages, one client replaying a million events would hold
        // every other request (and its own close) until the end of its replay.
        if (this.#cursor < this.#head) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (!this.#closed && !this.#live && this.#cursor >= this.#head) {
        this.#live = true;
        this.#send({ type: 'live', position: this.#cursor });
        this.#told = this.#cursor;
      }
    } catch (error) {
      this.#options.observer?.readFailed(this.#options.encoder.transport, error);
      this.close(CloseCode.internalError, 'the server could not read the log');
    } finally {
      this.#reading = false;
    }
    // Commits that arrived during the last read, or a drain that came while reading.
    if (!this.#closed && this.#cursor < this.#head && !this.#congested()) void this.#catchUp();
  }

  #deliver(events: readonly Envelope<AnyEvent>[]): void {
    const last = events.at(-1);
    if (last === undefined) return;
    const { encoder, limits } = this.#options;
    for (const frame of encoder.commit(events, limits)) this.#sendRaw(frame);
    this.#told = last.position;
  }

  /** Tells a filtered client how far it has seen, so that its resume skips what did not match. */
  #watermark(): void {
    if (this.#cursor <= this.#told || this.#watermarkTimer !== undefined) return;
    const wait = this.#live
      ? this.#lastWatermarkAt + this.#options.limits.watermarkMs - this.#clock()
      : 0;
    const send = () => {
      this.#watermarkTimer = undefined;
      if (this.#closed || this.#cursor <= this.#told) return;
      this.#lastWatermarkAt = this.#clock();
      this.#send({ type: 'position', position: this.#cursor });
      this.#told = this.#cursor;
    };
    if (wait <= 0) send();
    else this.#watermarkTimer = setTimeout(send, wait).unref();
  }

  #matches(event: Envelope<AnyEvent>): boolean {
    return (
      (this.#streams === undefined || this.#streams.has(event.stream)) &&
      (this.#types === undefined || this.#types.has(event.type))
    );
  }

  #congested(): boolean {
    const congested = this.#options.sink.buffered >= this.#options.limits.highWater;
    if (!congested) this.#congestedSince = undefined;
    else this.#congestedSince ??= this.#clock();
    return congested;
  }

  #send(frame: ServerFrame): void {
    this.#sendRaw(this.#options.encoder.control(frame));
  }

  #sendRaw(frame: string | Buffer): void {
    this.lastSentAt = this.#clock();
    this.#options.sink.send(frame, this.#sent);
  }

  /** The network took a frame: if the client is no longer congested, catch it up. */
  readonly #sent = (): void => {
    if (!this.#closed && !this.#reading && this.#cursor < this.#head && !this.#congested()) {
      void this.#catchUp();
    }
  };
}
