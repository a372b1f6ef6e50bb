import type pg from 'pg';
import type { TreeFrontier } from '../../checkpoints/merkle-frontier.js';
import { eventLeafHash } from '../../checkpoints/merkle-hash.js';
import { type IdempotencyRow, type PendingAppend, replayOf } from '../../events/append-plan.js';
import type { AnyEvent, Envelope, NewEvent } from '../../events/envelope.js';
import { StoreUnavailableError } from '../../events/errors.js';
import { GroupCommit, type OnCommit } from '../../events/group-commit.js';
import { type EventRegistry, sessionEventTypes } from '../../events/schemas.js';
import type {
  AppendOptions,
  AppendResult,
  CommitListener,
  Durability,
  EnvelopeText,
  EventStore,
  IdempotencyRecord,
  ReadOptions,
} from '../../events/store.js';
import { READ_PAGE } from '../../events/store.js';
import { uuidv7 } from '../../events/uuid-v7.js';
import type { Logger } from '../../observe/logger.js';
import { type PgDatabase, readPgMeta } from './database.js';
import { insertNodes, nodeColumns, pgFrontierAt } from './merkle-tree.js';
import { isConnectionError, PgEventReader } from './reader.js';
import { PgTail } from './tail.js';
import {
  type GroupOutcome,
  type PgTransactionHook,
  type WriteContext,
  writeGroup,
} from './write-group.js';

export type { PgTransactionHook } from './write-group.js';

export interface PgStoreOptions {
  registry?: EventRegistry;
  /** Told of each group commit (metrics: batch size, latency). */
  onCommit?: OnCommit;
  /** Where the tail tells of lost connections (default: warnings on stderr). */
  logger?: Logger;
  hooks?: readonly PgTransactionHook[];
  clock?: () => Date;
  newId?: () => string;
  /** `normal` commits without waiting for the WAL flush (synchronous_commit off). */
  durability?: Durability;
  /** How often the tail looks for commits when no notification came (default 1000 ms). */
  pollMs?: number;
  /**
   * Runs inside each append's transaction, after its writes and before COMMIT (tests hold
   * transactions open with it, to show that readers never skip a late commit).
   */
  beforeCommit?: () => Promise<void>;
}

/**
 * The log in PostgreSQL, shared by every node that serves it.
 *
 * Positions are assigned in commit order: each transaction first locks the single row of
 * `log_head` (the last position and hash) and holds it until it commits. The hash chain needs
 * the previous event's hash before an event can be written, so appends are serialized
 * whichever way positions are numbered; under that lock the position comes for free, has no
 * gaps, and a reader can never see position 11 before 10 (10's transaction was visible before
 * 11's could take the lock). Tailing is then a plain read after the last delivered position.
 * Each node amortizes the lock with group commit: the appends that arrive while a commit is
 * under way go together in the next transaction.
 */
export class PgEventStore<E extends AnyEvent = AnyEvent> implements EventStore<E> {
  readonly logId: string;
  readonly #database: PgDatabase;
  readonly #registry: EventRegistry;
  readonly #hooks: readonly PgTransactionHook[];
  readonly #clock: () => Date;
  readonly #newId: () => string;
  readonly #durability: Durability;
  readonly #reader: PgEventReader;
  readonly #tail: PgTail<E>;
  readonly #beforeCommit: (() => Promise<void>) | undefined;
  readonly #commits: GroupCommit;
  /**
   * The tree's edge after this node's last commit, so that an append reads no node. Used
   * only when the head it starts from is the edge's size: another node may have appended
   * since, and then the edge is read again under the head's lock (O(log n) nodes).
   */
  #frontier: TreeFrontier | undefined;

  private constructor(database: PgDatabase, logId: string, head: number, options: PgStoreOptions) {
    this.#database = database;
    this.logId = logId;
    this.#registry = options.registry ?? sessionEventTypes;
    this.#commits = new GroupCommit(
      this.#registry,
      (batch) => this.#flush(batch),
      options.onCommit,
    );
    this.#hooks = options.hooks ?? [];
    this.#clock = options.clock ?? (() => new Date());
    this.#newId = options.newId ?? (() => uuidv7());
    this.#durability = options.durability ?? 'full';
    this.#beforeCommit = options.beforeCommit;
    this.#reader = new PgEventReader(database.pool, this.#registry);
    this.#tail = new PgTail<E>(database, head, {
      read: (after) => this.read({ after, limit: READ_PAGE }),
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }

  /** Opens the store on a migrated database and starts following the log from its head. */
  static async open<E extends AnyEvent = AnyEvent>(
    database: PgDatabase,
    options: PgStoreOptions = {},
  ): Promise<PgEventStore<E>> {
    const logId = await readPgMeta(database.pool, 'logId');
    if (logId === undefined) throw new Error(`${database.label} has no sessionlog log (no logId)`);
    const { rows } = await database.pool.query<{ position: number }>(
      'SELECT position FROM log_head',
    );
    const store = new PgEventStore<E>(database, logId, rows[0]?.position ?? 0, options);
    await store.#tail.start();
    return store;
  }

  /** The log's commits, from any node, are followed over LISTEN (false: polling only). */
  get listening(): boolean {
    return this.#tail.listening;
  }

  append(
    stream: string,
    events: readonly NewEvent<E>[],
    options: AppendOptions<E> = {},
  ): Promise<AppendResult<E>> {
    return this.#commits.append(stream, events, options as AppendOptions) as Promise<
      AppendResult<E>
    >;
  }

  async findIdempotencyKey(key: string): Promise<IdempotencyRecord | undefined> {
    const { rows } = await this.#reader.query<IdempotencyRow>(
      'SELECT fingerprint, stream, first_position, position, version FROM idempotency_keys WHERE key = $1',
      [key],
    );
    const row = rows[0];
    return row === undefined ? undefined : { fingerprint: row.fingerprint, result: replayOf(row) };
  }

  async read(options: ReadOptions = {}): Promise<Envelope<E>[]> {
    return (await this.#reader.read(options)) as Envelope<E>[];
  }

  async readJson(options: ReadOptions = {}): Promise<EnvelopeText[]> {
    return this.#reader.readJson(options);
  }

  async readStream(
    stream: string,
    options: Omit<ReadOptions, 'streams'> = {},
  ): Promise<Envelope<E>[]> {
    return this.read({ ...options, streams: [stream] });
  }

  async head(): Promise<number> {
    return this.#reader.head();
  }

  /** Every commit of the log, this node's and the other nodes', in position order. */
  /** What this node's tail has delivered, and how often its LISTEN connection came back. */
  get tail(): { delivered: number; reconnects: number } {
    return { delivered: this.#tail.delivered, reconnects: this.#tail.reconnects };
  }

  subscribe(listener: CommitListener<E>): () => void {
    return this.#tail.subscribe(listener);
  }

  async close(): Promise<void> {
    await this.#commits.close();
    await this.#tail.close();
  }

  async #flush(batch: readonly PendingAppend[]): Promise<void> {
    let outcome: GroupOutcome;
    try {
      outcome = await this.#commit(batch, false);
    } catch (first) {
      // A connection failure fails the batch (its outcome may be unknown: retry with the same
      // Idempotency-Key). Anything else is run again with each append in a savepoint of its
      // own, so that only the faulty append fails.
      if (isConnectionError(first)) {
        this.#rejectAll(batch, first);
        return;
      }
      try {
        outcome = await this.#commit(batch, true);
      } catch (error) {
        this.#rejectAll(batch, error);
        return;
      }
    }
    const committed = outcome.recorded.map(({ envelope }) => envelope as Envelope<E>);
    if (committed.length > 0) this.#tail.offer(committed);
    batch.forEach((pending, i) => {
      const result = outcome.outcomes[i];
      if (result?.ok) pending.resolve(result.result);
      else pending.reject(result?.error);
    });
  }

  /** What writing a group needs from the store: the time is taken once per transaction. */
  #writing(): WriteContext {
    return {
      registry: this.#registry,
      newId: this.#newId,
      time: this.#clock().toISOString(),
      hooks: this.#hooks,
    };
  }

  #rejectAll(batch: readonly PendingAppend[], error: unknown): void {
    const unavailable = new StoreUnavailableError(`the log could not commit: ${String(error)}`, {
      cause: error,
    });
    for (const pending of batch) pending.reject(unavailable);
  }

  /** One transaction for the batch, holding the head's lock from its first statement. */
  async #commit(batch: readonly PendingAppend[], isolate: boolean): Promise<GroupOutcome> {
    const client = await this.#database.pool.connect();
    let broken: Error | undefined;
    // A connection lost between two statements (no query under way) is reported as an
    // 'error' event, which would crash the process without a listener; the next statement
    // then fails as a connection error.
    const lost = (error: Error) => {
      broken = error;
    };
    client.on('error', lost);
    try {
      // `full` waits for the WAL flush whatever the server's default. Three statements in
      // one round trip (no parameters: the simple protocol answers with one result each).
      const flush = this.#durability === 'full' ? 'on' : 'off';
      const opened = (await client.query(
        `BEGIN; SET LOCAL synchronous_commit TO ${flush}; SELECT position, hash FROM log_head FOR UPDATE`,
      )) as unknown as [unknown, unknown, pg.QueryResult<{ position: number; hash: string }>];
      const start = opened[2].rows[0];
      if (start === undefined) throw new Error('log_head is empty: not a sessionlog log');
      let outcome: GroupOutcome = {
        outcomes: [],
        recorded: [],
        head: start.position,
        hash: start.hash,
      };
      if (!isolate) {
        outcome = await writeGroup(client, batch, outcome, this.#writing());
      } else {
        for (const pending of batch) {
          await client.query('SAVEPOINT one_append');
          try {
            outcome = await writeGroup(client, [pending], outcome, this.#writing());
            await client.query('RELEASE SAVEPOINT one_append');
          } catch (error) {
            if (isConnectionError(error)) throw error;
            await client.query('ROLLBACK TO SAVEPOINT one_append');
            outcome.outcomes.push({ ok: false, error });
          }
        }
      }
      if (outcome.recorded.length === 0) {
        await client.query('ROLLBACK');
        return outcome;
      }
      // The batch's leaves and the nodes they complete: one edge per batch.
      const kept = this.#frontier;
      this.#frontier = undefined;
      const frontier =
        kept?.size === start.position ? kept : await pgFrontierAt(client, start.position);
      const nodes = frontier.append(
        outcome.recorded.map(({ envelope }) => eventLeafHash(envelope.hash)),
      );
      // The new head, the tree's new nodes, and the head's announcement: delivered with the
      // commit to every node listening.
      await client.query(
        `WITH head AS (UPDATE log_head SET position = $1, hash = $2),
           nodes AS (${insertNodes(4, 5, 6)})
         SELECT pg_notify($3, $1::text)`,
        [outcome.head, outcome.hash, this.#database.channel, ...nodeColumns(nodes)],
      );
      await this.#beforeCommit?.();
      await client.query('COMMIT');
      this.#frontier = frontier;
      return outcome;
    } catch (error) {
      if (isConnectionError(error)) broken = error as Error;
      else if (broken === undefined) await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }
}
