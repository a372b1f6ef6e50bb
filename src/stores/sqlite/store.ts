import type { TreeFrontier } from '../../checkpoints/merkle-frontier.js';
import { eventLeafHash } from '../../checkpoints/merkle-hash.js';
import {
  appendResult,
  checkExpectedVersion,
  type IdempotencyRow,
  type PendingAppend,
  recordEvents,
  redecided,
  redecidingFrom,
  replayOf,
} from '../../events/append-plan.js';
import type { AnyEvent, Envelope, NewEvent } from '../../events/envelope.js';
import { IdempotencyKeyReusedError, StoreUnavailableError } from '../../events/errors.js';
import { decodeRow, type EventRow, upcast } from '../../events/event-row.js';
import { GroupCommit, type OnCommit } from '../../events/group-commit.js';
import { GENESIS_HASH } from '../../events/hash.js';
import { type EventRegistry, sessionEventTypes } from '../../events/schemas.js';
import type {
  AppendOptions,
  AppendResult,
  CommitListener,
  EnvelopeText,
  EventStore,
  IdempotencyRecord,
  ReadOptions,
  TransactionHook,
} from '../../events/store.js';
import { uuidv7 } from '../../events/uuid-v7.js';
import { fallbackLogger, type Logger } from '../../observe/logger.js';
import { readMeta, type SqliteDatabase, type Statement } from './database.js';
import { SqliteTree } from './merkle-tree.js';
import { SqliteEventReader } from './reader.js';

export interface SqliteStoreOptions {
  registry?: EventRegistry;
  /** Told of each group commit (metrics: batch size, latency). */
  onCommit?: OnCommit;
  /** Where a failing commit listener is told (default: warnings on stderr). */
  logger?: Logger;
  /** Run inside each append's transaction, after its events are inserted (projections). */
  hooks?: readonly TransactionHook[];
  /** The time recorded on events; injectable so that tests can move the clock. */
  clock?: () => Date;
  newId?: () => string;
}

/** What became of one append: recorded (or replayed), or refused before anything was written. */
type Appended =
  | { ok: true; result: AppendResult<AnyEvent>; envelopes: Envelope<AnyEvent>[] }
  | { ok: false; error: unknown };

interface BatchOutcome {
  /** One per append of the batch, in order. */
  outcomes: Array<{ ok: true; result: AppendResult<AnyEvent> } | { ok: false; error: unknown }>;
  committed: Envelope<AnyEvent>[];
}

/**
 * The log on SQLite, with group commit: appends that arrive while a commit is being written
 * wait in a queue and are committed together in the next transaction; one refused append does
 * not fail its neighbours. Every caller resolves only after the commit that holds its events,
 * so with durability `full` an acknowledged event is on disk.
 */
export class SqliteEventStore<E extends AnyEvent = AnyEvent> implements EventStore<E> {
  readonly logId: string;
  readonly #reader: SqliteEventReader;
  readonly #registry: EventRegistry;
  readonly #hooks: readonly TransactionHook[];
  readonly #clock: () => Date;
  readonly #newId: () => string;
  readonly #listeners = new Set<CommitListener<E>>();
  readonly #commits: GroupCommit;
  readonly #logger: Logger;
  readonly #commitBatch;
  readonly #appendInSavepoint;
  readonly #tree: SqliteTree;
  /**
   * The tree's edge after the last commit, kept so that an append reads no node. Trusted only
   * when its size is the head a batch starts from: another connection may have appended.
   */
  #frontier: TreeFrontier | undefined;

  readonly #sql: {
    last: Statement;
    streamVersion: Statement;
    streamAfter: Statement;
    insert: Statement;
    findKey: Statement;
    saveKey: Statement;
  };

  constructor(db: SqliteDatabase, options: SqliteStoreOptions = {}) {
    this.#registry = options.registry ?? sessionEventTypes;
    this.#logger = options.logger ?? fallbackLogger();
    this.#commits = new GroupCommit(
      this.#registry,
      (batch) => this.#flush(batch),
      options.onCommit,
    );
    this.#reader = new SqliteEventReader(db, this.#registry);
    this.#hooks = options.hooks ?? [];
    this.#clock = options.clock ?? (() => new Date());
    this.#newId = options.newId ?? (() => uuidv7());
    this.#commitBatch = db.transaction((batch: readonly PendingAppend[], isolate: boolean) =>
      this.#appendBatch(batch, isolate),
    );
    this.#appendInSavepoint = db.transaction((pending: PendingAppend, head: number, hash: string) =>
      this.#appendOne(pending, head, hash),
    );
    this.#tree = new SqliteTree(db);
    const logId = readMeta(db, 'logId');
    if (logId === undefined) throw new Error('not a sessionlog database: it has no logId');
    this.logId = logId;
    this.#sql = {
      last: db.prepare('SELECT position, hash FROM events ORDER BY position DESC LIMIT 1'),
      streamVersion: db
        .prepare('SELECT coalesce(max(version), 0) FROM events WHERE stream = ?')
        .pluck(),
      streamAfter: db.prepare(
        `SELECT position, id, stream, version, type, time, data, meta, hash FROM events
        WHERE stream = ? AND version > ? ORDER BY version`,
      ),
      // Positional parameters: binding by name costs a property lookup per column per event.
      insert:
        db.prepare(`INSERT INTO events (position, id, stream, version, type, time, data, meta, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      findKey: db.prepare(
        'SELECT fingerprint, stream, first_position, position, version FROM idempotency_keys WHERE key = ?',
      ),
      saveKey:
        db.prepare(`INSERT INTO idempotency_keys (key, fingerprint, stream, first_position, position, version)
        VALUES (?, ?, ?, ?, ?, ?)`),
    };
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
    const row = this.#sql.findKey.get(key) as IdempotencyRow | undefined;
    return row === undefined ? undefined : { fingerprint: row.fingerprint, result: replayOf(row) };
  }

  async read(options: ReadOptions = {}): Promise<Envelope<E>[]> {
    return this.#reader.read(options) as Envelope<E>[];
  }

  async readJson(options: ReadOptions = {}): Promise<EnvelopeText[]> {
    return this.#reader.readJson(options);
  }

  async readStream(
    stream: string,
    options: Omit<ReadOptions, 'streams'> = {},
  ): Promise<Envelope<E>[]> {
    return this.#reader.read({ ...options, streams: [stream] }) as Envelope<E>[];
  }

  async head(): Promise<number> {
    return this.#reader.head();
  }

  subscribe(listener: CommitListener<E>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.#commits.close();
  }

  #flush(batch: readonly PendingAppend[]): void {
    let outcome: BatchOutcome;
    try {
      outcome = this.#commitBatch.immediate(batch, false);
    } catch {
      // What the failed transaction left in the edge was rolled back in the file.
      this.#frontier = undefined;
      // An append failed in a way its checks could not foresee (a projection threw, say), or
      // the commit failed. Run the batch again with each append in a savepoint of its own, so
      // that only the faulty append fails; if the commit itself fails again, all of them do.
      try {
        outcome = this.#commitBatch.immediate(batch, true);
      } catch (error) {
        this.#frontier = undefined;
        const unavailable = new StoreUnavailableError(
          `the log could not commit: ${String(error)}`,
          {
            cause: error,
          },
        );
        for (const pending of batch) pending.reject(unavailable);
        return;
      }
    }
    const { outcomes, committed } = outcome;
    if (committed.length > 0) this.#notify(committed as unknown as Envelope<E>[]);
    batch.forEach((pending, i) => {
      const result = outcomes[i];
      if (result?.ok) pending.resolve(result.result);
      else pending.reject(result?.error);
    });
  }

  /**
   * Appends a batch inside one transaction. Fast path: the checks that can refuse an append
   * (version, idempotency key, a decision made again) run before it writes anything, so a
   * refused append needs no savepoint. With `isolate`, each append runs in a savepoint and any
   * failure is its own.
   */
  #appendBatch(batch: readonly PendingAppend[], isolate: boolean): BatchOutcome {
    const outcomes: BatchOutcome['outcomes'] = [];
    const committed: Envelope<AnyEvent>[] = [];
    const last = this.#sql.last.get() as { position: number; hash: string } | undefined;
    const start = last?.position ?? 0;
    let head = start;
    let previousHash = last?.hash ?? GENESIS_HASH;
    for (const pending of batch) {
      let appended: Appended;
      try {
        appended = isolate
          ? this.#appendInSavepoint(pending, head, previousHash)
          : this.#appendOne(pending, head, previousHash);
      } catch (error) {
        if (!isolate) throw error;
        appended = { ok: false, error };
      }
      if (!appended.ok) {
        outcomes.push({ ok: false, error: unavailableIfStorage(appended.error) });
        continue;
      }
      const { result, envelopes } = appended;
      outcomes.push({ ok: true, result });
      const lastEnvelope = envelopes.at(-1);
      if (lastEnvelope !== undefined) {
        head = lastEnvelope.position;
        previousHash = lastEnvelope.hash;
        committed.push(...envelopes);
      }
    }
    if (committed.length > 0) {
      this.#growTree(start, committed);
      for (const hook of this.#hooks) hook.committing?.(head);
    }
    return { outcomes, committed };
  }

  /**
   * One append: checks first (a refusal is its outcome, with nothing written), then writes;
   * throws only for what its checks could not foresee.
   */
  #appendOne(pending: PendingAppend, head: number, previousHash: string): Appended {
    const { stream, idempotencyKey, fingerprint } = pending;
    if (idempotencyKey !== undefined) {
      const earlier = this.#sql.findKey.get(idempotencyKey) as IdempotencyRow | undefined;
      if (earlier !== undefined) {
        return earlier.fingerprint === fingerprint
          ? { ok: true, result: replayOf(earlier), envelopes: [] }
          : { ok: false, error: new IdempotencyKeyReusedError(idempotencyKey) };
      }
    }
    const current = this.#sql.streamVersion.get(stream) as number;
    const from = redecidingFrom(pending, current);
    let append = pending;
    try {
      if (from === undefined) checkExpectedVersion(stream, pending.expectedVersion, current);
      else append = redecided(pending, this.#missed(stream, from), this.#registry);
    } catch (error) {
      return { ok: false, error };
    }
    const recorded = recordEvents(
      append,
      { head, previousHash, version: current, time: this.#clock().toISOString() },
      this.#registry,
      this.#newId,
    );
    for (const { envelope, data, meta } of recorded) {
      const { position, id, version, type, time, hash } = envelope;
      this.#sql.insert.run(position, id, envelope.stream, version, type, time, data, meta, hash);
    }
    const envelopes = recorded.map(({ envelope }) => envelope);
    for (const hook of this.#hooks) hook.apply(envelopes);
    const result = appendResult(stream, envelopes);
    if (idempotencyKey !== undefined) {
      this.#sql.saveKey.run(
        idempotencyKey,
        fingerprint,
        stream,
        result.firstPosition,
        result.position,
        result.version,
      );
    }
    return { ok: true, result, envelopes };
  }

  /** The batch's leaves and the nodes they complete, in its transaction: one edge per batch. */
  #growTree(start: number, committed: readonly Envelope<AnyEvent>[]): void {
    const kept = this.#frontier;
    this.#frontier = undefined;
    const frontier = kept?.size === start ? kept : this.#tree.frontierAt(start);
    this.#tree.write(frontier.append(committed.map((event) => eventLeafHash(event.hash))));
    this.#frontier = frontier;
  }

  /** The stream's events after `version`, this transaction's included. */
  #missed(stream: string, version: number): Envelope<AnyEvent>[] {
    const rows = this.#sql.streamAfter.all(stream, version) as EventRow[];
    return rows.map((row) => upcast(decodeRow(row), this.#registry));
  }

  #notify(events: readonly Envelope<E>[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(events);
      } catch (error) {
        // A subscriber's bug must neither undo a commit that already happened nor keep the
        // other subscribers from hearing of it.
        this.#logger.error({ err: error }, 'a commit listener failed');
      }
    }
  }
}

const STORAGE_FAILURES = /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN|CORRUPT|NOTADB)/;

/** Errors of the disk or the database file say "unavailable", not "your append was wrong". */
function unavailableIfStorage(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && STORAGE_FAILURES.test(code)) {
    return new StoreUnavailableError(`the log could not write: ${String(error)}`, { cause: error });
  }
  return error;
}
