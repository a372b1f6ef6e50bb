import type pg from 'pg';
import {
  appendResult,
  checkExpectedVersion,
  type IdempotencyRow,
  type PendingAppend,
  planAppend,
  type RecordedEvent,
  recordEvents,
  replayOf,
} from './append-plan.js';
import type { AnyEvent, Envelope, NewEvent } from './envelope.js';
import { IdempotencyKeyReusedError, StoreUnavailableError } from './errors.js';
import { type PgDatabase, readPgMeta } from './pg-database.js';
import { isConnectionError, PgEventReader } from './pg-reader.js';
import { PgTail } from './pg-tail.js';
import { type EventRegistry, sessionEventTypes } from './schemas.js';
import type { Durability } from './sqlite-database.js';
import type {
  AppendOptions,
  AppendResult,
  CommitListener,
  EnvelopeText,
  EventStore,
  IdempotencyRecord,
  ReadOptions,
} from './store.js';
import { uuidv7 } from './uuid-v7.js';

/** Work done inside the append's transaction (the sessions table), on its connection. */
export interface PgTransactionHook {
  apply(client: pg.PoolClient, events: readonly Envelope<AnyEvent>[], head: number): Promise<void>;
}

export interface PgStoreOptions {
  registry?: EventRegistry;
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

interface Outcome {
  outcomes: Array<{ ok: true; result: AppendResult<AnyEvent> } | { ok: false; error: unknown }>;
  recorded: RecordedEvent[];
  head: number;
  hash: string;
}

const PAGE = 1000;

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
  #queue: PendingAppend[] = [];
  #flushing: Promise<void> | undefined;
  #closed = false;

  private constructor(database: PgDatabase, logId: string, head: number, options: PgStoreOptions) {
    this.#database = database;
    this.logId = logId;
    this.#registry = options.registry ?? sessionEventTypes;
    this.#hooks = options.hooks ?? [];
    this.#clock = options.clock ?? (() => new Date());
    this.#newId = options.newId ?? (() => uuidv7());
    this.#durability = options.durability ?? 'full';
    this.#beforeCommit = options.beforeCommit;
    this.#reader = new PgEventReader(database.pool, this.#registry);
    this.#tail = new PgTail<E>(database, head, {
      read: (after) => this.read({ after, limit: PAGE }),
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
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
    options: AppendOptions = {},
  ): Promise<AppendResult<E>> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('the log is closed'));
    let planned: Omit<PendingAppend, 'resolve' | 'reject'>;
    try {
      planned = planAppend(stream, events, options, this.#registry);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<AppendResult<AnyEvent>>((resolve, reject) => {
      this.#queue.push({ ...planned, resolve, reject });
      this.#scheduleFlush();
    }) as Promise<AppendResult<E>>;
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
  subscribe(listener: CommitListener<E>): () => void {
    return this.#tail.subscribe(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing !== undefined) await this.#flushing;
    await this.#tail.close();
  }

  #scheduleFlush(): void {
    if (this.#flushing !== undefined) return;
    this.#flushing = new Promise((done) => {
      setImmediate(() => {
        this.#flush().finally(() => {
          this.#flushing = undefined;
          done();
          if (this.#queue.length > 0) this.#scheduleFlush();
        });
      });
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    let outcome: Outcome;
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

  #rejectAll(batch: readonly PendingAppend[], error: unknown): void {
    const unavailable = new StoreUnavailableError(`the log could not commit: ${String(error)}`, {
      cause: error,
    });
    for (const pending of batch) pending.reject(unavailable);
  }

  /** One transaction for the batch, holding the head's lock from its first statement. */
  async #commit(batch: readonly PendingAppend[], isolate: boolean): Promise<Outcome> {
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
      let outcome: Outcome = { outcomes: [], recorded: [], head: start.position, hash: start.hash };
      if (!isolate) {
        outcome = await this.#writeGroup(client, batch, outcome);
      } else {
        for (const pending of batch) {
          await client.query('SAVEPOINT one_append');
          try {
            outcome = await this.#writeGroup(client, [pending], outcome);
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
      // The new head, and its announcement: delivered with the commit to every node listening.
      await client.query(
        `WITH head AS (UPDATE log_head SET position = $1, hash = $2)
         SELECT pg_notify($3, $1::text)`,
        [outcome.head, outcome.hash, this.#database.channel],
      );
      await this.#beforeCommit?.();
      await client.query('COMMIT');
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

  /**
   * Checks and writes a group of appends after `at`: idempotency keys and stream versions
   * read in one query, events, keys and the hooks' writes in one statement each. A
   * refused append (version, key) is refused before anything of it is written.
   */
  async #writeGroup(
    client: pg.PoolClient,
    group: readonly PendingAppend[],
    at: Outcome,
  ): Promise<Outcome> {
    const keys = [
      ...new Set(group.flatMap((p) => (p.idempotencyKey === undefined ? [] : [p.idempotencyKey]))),
    ];
    const streams = [...new Set(group.map((p) => p.stream))];
    // The keys already used and the streams' versions, in one round trip.
    const { rows: seen } = await client.query<IdempotencyRow & { key: string | null }>(
      `SELECT key, fingerprint, stream, first_position, position, version
         FROM idempotency_keys WHERE key = ANY($1::text[])
       UNION ALL
       SELECT NULL, NULL, stream, NULL, NULL, max(version) FROM events
         WHERE stream = ANY($2::text[]) GROUP BY stream`,
      [keys, streams],
    );
    const found = seen.filter((row): row is IdempotencyRow & { key: string } => row.key !== null);
    const versions = seen.filter((row) => row.key === null);
    const known = new Map<string, IdempotencyRow>(found.map((row) => [row.key, row]));
    const version = new Map(versions.map((row) => [row.stream, row.version]));
    const outcomes = [...at.outcomes];
    const recorded = [...at.recorded];
    const written: RecordedEvent[] = [];
    const newKeys: Array<IdempotencyRow & { key: string }> = [];
    let { head, hash } = at;
    const time = this.#clock().toISOString();
    for (const pending of group) {
      const { stream, idempotencyKey, fingerprint } = pending;
      const earlier = idempotencyKey === undefined ? undefined : known.get(idempotencyKey);
      if (earlier !== undefined) {
        outcomes.push(
          earlier.fingerprint === fingerprint
            ? { ok: true, result: replayOf(earlier) }
            : { ok: false, error: new IdempotencyKeyReusedError(idempotencyKey as string) },
        );
        continue;
      }
      const current = version.get(stream) ?? 0;
      try {
        checkExpectedVersion(stream, pending.expectedVersion, current);
      } catch (error) {
        outcomes.push({ ok: false, error });
        continue;
      }
      const events = recordEvents(
        pending,
        { head, previousHash: hash, version: current, time },
        this.#registry,
        this.#newId,
      );
      const envelopes = events.map(({ envelope }) => envelope);
      const result = appendResult(stream, envelopes);
      written.push(...events);
      outcomes.push({ ok: true, result });
      head = result.position;
      hash = envelopes.at(-1)?.hash ?? hash;
      version.set(stream, result.version);
      if (idempotencyKey !== undefined) {
        const row = {
          key: idempotencyKey,
          fingerprint,
          stream,
          first_position: result.firstPosition,
          position: result.position,
          version: result.version,
        };
        newKeys.push(row);
        known.set(idempotencyKey, row);
      }
    }
    if (written.length > 0) await this.#insert(client, written, newKeys, head);
    recorded.push(...written);
    return { outcomes, recorded, head, hash };
  }

  async #insert(
    client: pg.PoolClient,
    written: readonly RecordedEvent[],
    keys: ReadonlyArray<IdempotencyRow & { key: string }>,
    head: number,
  ): Promise<void> {
    const column = <T>(pick: (r: RecordedEvent) => T) => written.map(pick);
    await client.query(
      `INSERT INTO events (position, id, stream, version, type, time, data, meta, hash)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::integer[], $5::text[],
         $6::text[], $7::json[], $8::json[], $9::text[])`,
      [
        column((r) => r.envelope.position),
        column((r) => r.envelope.id),
        column((r) => r.envelope.stream),
        column((r) => r.envelope.version),
        column((r) => r.envelope.type),
        column((r) => r.envelope.time),
        column((r) => r.data),
        column((r) => r.meta),
        column((r) => r.envelope.hash),
      ],
    );
    if (keys.length > 0) {
      await client.query(
        `INSERT INTO idempotency_keys (key, fingerprint, stream, first_position, position, version)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
           $6::integer[])`,
        [
          keys.map((k) => k.key),
          keys.map((k) => k.fingerprint),
          keys.map((k) => k.stream),
          keys.map((k) => k.first_position),
          keys.map((k) => k.position),
          keys.map((k) => k.version),
        ],
      );
    }
    const envelopes = written.map(({ envelope }) => envelope);
    for (const hook of this.#hooks) await hook.apply(client, envelopes, head);
  }
}
