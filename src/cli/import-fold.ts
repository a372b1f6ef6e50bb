import type { AnyEvent, Envelope } from '../events/envelope.js';
import { GENESIS_HASH } from '../events/hash.js';
import { sessionEventTypes } from '../events/schemas.js';
import { FoldAsWritten } from '../projections/fold-as-written.js';
import { sessionsProjection } from '../projections/sessions-projection.js';
import type { ImportFold, ImportSnapshot } from '../stores/log-backend.js';
import { SNAPSHOT_EVERY, snapshotOf } from '../stores/sqlite/snapshot-store.js';

/**
 * The sessions projection folded in import's checking thread, on the envelopes the check
 * has parsed already, with its snapshots made (and deflated) where a rebuild makes them: the
 * thread that writes the rows only stores them, and parses no event a second time.
 */
export class ImportSessionsFold {
  readonly #fold = new FoldAsWritten(
    sessionsProjection,
    sessionEventTypes,
    SNAPSHOT_EVERY,
    (fold) => {
      const made = snapshotOf(fold, this.#sinceFull);
      this.#sinceFull = made.sinceFull;
      this.#snapshots.push({ ...made, position: fold.position, hash: this.#reached });
    },
  );
  #snapshots: ImportSnapshot[] = [];
  #sinceFull: number | undefined;
  /** The hash of the last event folded: a snapshot falls due just after it. */
  #reached = GENESIS_HASH;

  /** Folds the next checked event; `previousHash` is the hash of the event before it. */
  apply(event: Envelope<AnyEvent>, previousHash: string): void {
    this.#reached = previousHash;
    this.#fold.apply([event]);
  }

  /** The snapshots made since the last call. */
  taken(): ImportFold {
    const snapshots = this.#snapshots;
    this.#snapshots = [];
    return { snapshots };
  }

  /** Every event up to `head` (whose hash is `hash`) folded: the last snapshots and the rows. */
  finish(head: number, hash: string): ImportFold {
    this.#reached = hash;
    const { position, rows } = this.#fold.finish(head);
    return { ...this.taken(), end: { position, rows: Array.from(rows), stops: this.#fold.stops } };
  }
}
