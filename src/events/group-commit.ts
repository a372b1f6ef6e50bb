import type { PendingAppend } from './append-plan.js';
import { planAppend } from './append-plan.js';
import type { AnyEvent, NewEvent } from './envelope.js';
import { StoreUnavailableError } from './errors.js';
import type { EventRegistry } from './schemas.js';
import type { AppendOptions, AppendResult } from './store.js';

/** One commit as an observer outside the core sees it (metrics): how many, how big, how long. */
export interface CommitObservation {
  /** Appends in the batch (group commit's batch size). */
  batchSize: number;
  /** Events the batch asked to append (refused appends included). */
  events: number;
  /** From taking the batch to the commit settled, in milliseconds. */
  ms: number;
}

export type OnCommit = (observation: CommitObservation) => void;

/**
 * The queue in front of a store's commits: appends that arrive while a commit is being
 * written wait here and go together in the next one. `commit` receives each batch and must
 * settle every append in it, after the commit that holds its events.
 */
export class GroupCommit {
  readonly #registry: EventRegistry;
  readonly #commit: (batch: PendingAppend[]) => void | Promise<void>;
  #queue: PendingAppend[] = [];
  #flushing: Promise<void> | undefined;
  #closed = false;
  readonly #onCommit: OnCommit | undefined;

  constructor(
    registry: EventRegistry,
    commit: (batch: PendingAppend[]) => void | Promise<void>,
    onCommit?: OnCommit,
  ) {
    this.#registry = registry;
    this.#commit = commit;
    this.#onCommit = onCommit;
  }

  /** Validates the append (nothing invalid is queued) and resolves once it is committed. */
  append(
    stream: string,
    events: readonly NewEvent<AnyEvent>[],
    options: AppendOptions,
  ): Promise<AppendResult<AnyEvent>> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('the log is closed'));
    let planned: Omit<PendingAppend, 'resolve' | 'reject'>;
    try {
      planned = planAppend(stream, events, options, this.#registry);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...planned, resolve, reject });
      this.#schedule();
    });
  }

  /** Refuses new appends and waits for the ones under way. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing !== undefined) await this.#flushing;
  }

  #schedule(): void {
    if (this.#flushing !== undefined) return;
    // setImmediate, not a microtask: requests already waiting on sockets get to join the batch.
    this.#flushing = new Promise((done) => {
      setImmediate(async () => {
        const batch = this.#queue;
        this.#queue = [];
        const started = this.#onCommit === undefined ? 0 : performance.now();
        try {
          await this.#commit(batch);
        } catch (error) {
          // A commit that threw settles what it left unsettled (a settled promise ignores it).
          for (const pending of batch) pending.reject(error);
        } finally {
          if (this.#onCommit !== undefined) this.#observe(batch, started);
          this.#flushing = undefined;
          done();
          if (this.#queue.length > 0) this.#schedule();
        }
      });
    });
  }

  #observe(batch: readonly PendingAppend[], started: number): void {
    let events = 0;
    for (const pending of batch) events += pending.events.length;
    try {
      this.#onCommit?.({ batchSize: batch.length, events, ms: performance.now() - started });
    } catch {
      // An observer's failure is no commit's failure.
    }
  }
}
