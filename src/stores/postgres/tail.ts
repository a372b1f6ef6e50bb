import pg from 'pg';
import type { AnyEvent, Envelope } from '../../events/envelope.js';
import type { CommitListener } from '../../events/store.js';
import { fallbackLogger, type Logger } from '../../observe/logger.js';
import type { PgDatabase } from './database.js';

export interface PgTailOptions {
  /** Reads the committed events after a position, a page at a time, in position order. */
  read(after: number): Promise<Envelope<AnyEvent>[]>;
  /** Polling, for when a notification is lost (default 1000 ms). */
  pollMs?: number;
  /** The first wait before connecting again after the LISTEN connection is lost. */
  reconnectMs?: number;
  /** Where lost connections and failing reads are told (default: warnings on stderr). */
  logger?: Logger;
}

/**
 * The commits of every node, in position order, each exactly once: wakes on NOTIFY (one per
 * commit, sent in its transaction), on this node's own commits, and on a poll, then reads
 * the log after the last position it delivered. Positions are taken in commit order (see
 * PgEventStore), so what one read sees always follows what was delivered, with no gap.
 * A lost connection is made again with backoff; the poll and the read after reconnecting
 * cover what was announced meanwhile.
 */
export class PgTail<E extends AnyEvent = AnyEvent> {
  readonly #database: PgDatabase;
  readonly #options: Required<Omit<PgTailOptions, 'logger'>>;
  readonly #logger: Logger;
  #reconnects = 0;
  #lost = false;
  readonly #listeners = new Set<CommitListener<E>>();
  #delivered: number;
  #wanted = 0;
  #pumping: Promise<void> | undefined;
  #listener: pg.Client | undefined;
  #poll: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #failures = 0;
  #readFailing = false;
  #closed = false;

  constructor(database: PgDatabase, from: number, options: PgTailOptions) {
    this.#database = database;
    this.#delivered = from;
    const { logger, ...rest } = options;
    this.#options = { pollMs: 1000, reconnectMs: 250, ...rest };
    this.#logger = logger ?? fallbackLogger();
  }

  /** The last position handed to the listeners. */
  get delivered(): number {
    return this.#delivered;
  }

  /** Times the LISTEN connection was made again after it was lost. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** True while the LISTEN connection is up (the poll covers the time it is not). */
  get listening(): boolean {
    return this.#listener !== undefined;
  }

  async start(): Promise<void> {
    this.#poll = setInterval(() => this.wake(Number.POSITIVE_INFINITY), this.#options.pollMs);
    this.#poll.unref();
    await this.#listen();
  }

  subscribe(listener: CommitListener<E>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * This node's own commit: delivered at once when it follows, else read back in order. At
   * once even while a read is under way (its own NOTIFY often arrives before the COMMIT's
   * answer and starts one; the read skips what was delivered meanwhile, and what the read
   * delivered first is skipped here): so an append resolves after this node's subscribers
   * heard of it, unless other nodes' commits precede it.
   */
  offer(events: readonly Envelope<E>[]): void {
    const first = events[0];
    const last = events.at(-1);
    if (first === undefined || last === undefined || last.position <= this.#delivered) return;
    if (first.position > this.#delivered + 1) {
      this.wake(last.position);
    } else {
      // A read woken by the NOTIFY may have delivered the first page of a large commit already.
      this.#deliver(events.slice(this.#delivered + 1 - first.position));
    }
  }

  /** Something was committed up to `head` (Infinity: maybe): read until caught up. */
  wake(head: number): void {
    if (this.#closed || head <= this.#delivered) return;
    this.#wanted = Math.max(this.#wanted, head);
    this.#pumping ??= this.#pump().finally(() => {
      this.#pumping = undefined;
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    clearTimeout(this.#reconnect);
    this.#listeners.clear();
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => {});
    await this.#pumping;
  }

  async #pump(): Promise<void> {
    let empty = 0;
    try {
      while (!this.#closed) {
        const page = (await this.#options.read(this.#delivered)) as Envelope<E>[];
        // What `offer` delivered during the read is skipped: positions follow commit order.
        const fresh = page.filter((event) => event.position > this.#delivered);
        if (fresh.length > 0) this.#deliver(fresh);
        if (page.length === 0) {
          // An unknown head (the poll) is reached when a read comes back empty.
          if (!Number.isFinite(this.#wanted) || this.#delivered >= this.#wanted) break;
          // Announced but not yet visible to this connection: look again shortly, for a
          // while (a head announced wrongly must not keep it reading; the poll goes on).
          if (++empty > 100) break;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      if (this.#readFailing) this.#logger.warn('the log can be read again');
      this.#readFailing = false;
    } catch (error) {
      // The next notification or poll tries again from the same position; said once per outage.
      if (!this.#closed && !this.#readFailing) {
        this.#logger.warn({ error: String(error) }, 'reading the log failed (retrying)');
      }
      this.#readFailing = true;
    } finally {
      this.#wanted = this.#delivered;
    }
  }

  #deliver(events: readonly Envelope<E>[]): void {
    this.#delivered = events.at(-1)?.position ?? this.#delivered;
    for (const listener of this.#listeners) {
      try {
        listener(events);
      } catch (error) {
        this.#logger.error({ err: error }, 'a commit listener failed');
      }
    }
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({
      ...this.#database.config,
      application_name: `${this.#database.config.application_name ?? 'sessionlog'} listen`,
    });
    const lost = (error?: Error) => {
      if (this.#listener !== client) return;
      this.#listener = undefined;
      client.end().catch(() => {});
      if (this.#closed) return;
      this.#lost = true;
      this.#logger.warn(
        error ? { error: error.message } : {},
        'lost the PostgreSQL notification connection; reconnecting',
      );
      this.#scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      const head = Number(message.payload);
      this.wake(Number.isFinite(head) ? head : Number.POSITIVE_INFINITY);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#database.channel}`);
    } catch (error) {
      client.end().catch(() => {});
      if (this.#closed) return;
      this.#failures++;
      if (this.#failures === 1) {
        this.#logger.warn({ error: String(error) }, 'could not LISTEN for commits');
      }
      this.#scheduleReconnect();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#listener = client;
    this.#failures = 0;
    if (this.#lost) {
      this.#lost = false;
      this.#reconnects++;
      this.#logger.info('the PostgreSQL notification connection is back');
    }
    // Whatever was committed while nobody listened.
    this.wake(Number.POSITIVE_INFINITY);
  }

  #scheduleReconnect(): void {
    const wait = Math.min(this.#options.reconnectMs * 2 ** this.#failures, 10_000);
    this.#reconnect = setTimeout(() => void this.#listen(), wait);
    this.#reconnect.unref();
  }
}
