import type { AnyEvent, Envelope } from '../events/envelope.js';
import { upcast } from '../events/event-row.js';
import type { EventVersions } from '../events/event-types.js';
import { Fold } from './fold.js';
import type { AnyProjection } from './projection.js';

/**
 * A projection folded from events as they are written, not read back from the log: what
 * `import` does, so that the log is read once. It stops where `Fold.run` stops (each multiple
 * of `every`, with every event up to it applied and none after, `changed` cleared after),
 * so the rows and snapshots are exactly those a rebuild of the same log makes.
 */
export class FoldAsWritten {
  readonly fold: Fold;
  readonly #registry: EventVersions;
  readonly #every: number;
  readonly #atStop: (fold: Fold) => void;
  /** Stops taken so far (the snapshots written). */
  stops = 0;
  /** The next position to stop at (Infinity: none). */
  #stop: number;

  constructor(
    projection: AnyProjection,
    registry: EventVersions,
    every: number,
    atStop: (fold: Fold) => void,
  ) {
    this.fold = new Fold(projection);
    this.#registry = registry;
    this.#every = every;
    this.#atStop = atStop;
    this.#stop = every > 0 ? every : Number.POSITIVE_INFINITY;
  }

  /** Applies the next events, in position order (the caller's batch, just written). */
  apply(events: Iterable<Envelope<AnyEvent>>): void {
    const { fold } = this;
    for (const event of events) {
      this.#reach(event.position - 1);
      if (fold.projection.handles.has(event.type)) fold.apply(upcast(event, this.#registry));
    }
  }

  /** Every event up to `head` applied: the last stops taken, the rows final. */
  finish(head: number): Fold {
    this.#reach(head);
    this.fold.position = Math.max(this.fold.position, head);
    return this.fold;
  }

  #reach(position: number): void {
    for (; this.#stop <= position; this.#stop += this.#every) {
      this.fold.position = Math.max(this.fold.position, this.#stop);
      this.#atStop(this.fold);
      this.stops++;
      this.fold.changed.clear();
    }
  }
}
