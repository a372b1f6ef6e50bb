import type { Envelope } from '../../../src/events/envelope.js';
import {
  evolve,
  type Session,
  type SessionState,
  toSession,
} from '../../../src/sessions/session.js';

/** A write this client made, ahead of the events that will confirm it. */
interface Ahead {
  /** The row the write's answer showed; null for a deletion. */
  row: Session | null;
  /** The position of the write's last event: once applied, the fold has caught up. */
  position: number;
}

/**
 * The client's sessions table: the server's own fold (`evolve`) over a snapshot and the
 * events after it, so that it equals the server's table at the same position. On top of the
 * fold, the answers to this client's own writes, shown at once and dropped as soon as the
 * log's events reach their position: one row per id, so nothing is ever listed twice.
 */
export class SessionTable {
  #rows = new Map<string, SessionState>();
  #ahead = new Map<string, Ahead>();
  #position = 0;
  // Rows keep their identity until they change, so that a view re-renders only what changed.
  #shown = new WeakMap<SessionState, Session>();

  /** Every event up to here is folded in. */
  get position(): number {
    return this.#position;
  }

  /** Starts over from a snapshot: the table as it was right after `position`. */
  reset(sessions: readonly Session[], position: number): void {
    this.#rows = new Map(sessions.map((session) => [session.id, { ...session, deletedAt: null }]));
    this.#ahead.clear();
    this.#position = position;
  }

  /** Folds in the events above the position, in order; returns the ones folded in. */
  apply(events: readonly Envelope[]): Envelope[] {
    const applied: Envelope[] = [];
    for (const event of events) {
      // The engine's one guard against doubles: a replay overlapping what was already seen.
      if (event.position <= this.#position) continue;
      const next = evolve(this.#rows.get(event.stream) ?? null, event);
      // The server keeps deleted rows out of its table; so does the client.
      if (next === null || next.deletedAt !== null) this.#rows.delete(event.stream);
      else this.#rows.set(event.stream, next);
      this.#position = event.position;
      applied.push(event);
    }
    this.#settle();
    return applied;
  }

  /** The server vouched that nothing else up to `position` exists (`live`, `position`). */
  advance(position: number): void {
    if (position <= this.#position) return;
    this.#position = position;
    this.#settle();
  }

  /** A write's answer (`{ session, position }`): shown until the log delivers it. */
  confirm(session: Session, position: number): void {
    this.#ahead.set(session.id, { row: session, position });
    this.#settle();
  }

  /** A deletion's answer (`{ position }`): hidden until the log delivers it. */
  confirmDeleted(id: string, position: number): void {
    this.#ahead.set(id, { row: null, position });
    this.#settle();
  }

  /** The table to show: the fold, with this client's writes the log has not delivered yet. */
  rows(): Map<string, Session> {
    const rows = new Map<string, Session>();
    for (const [id, state] of this.#rows) rows.set(id, this.#show(state));
    for (const [id, { row }] of this.#ahead) {
      const folded = rows.get(id);
      if (row === null) rows.delete(id);
      else if (folded === undefined || folded.version < row.version) rows.set(id, row);
    }
    return rows;
  }

  #show(state: SessionState): Session {
    let shown = this.#shown.get(state);
    if (shown === undefined) {
      shown = toSession(state);
      this.#shown.set(state, shown);
    }
    return shown;
  }

  #settle(): void {
    for (const [id, { position }] of this.#ahead) {
      if (position <= this.#position) this.#ahead.delete(id);
    }
  }
}
