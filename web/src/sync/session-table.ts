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

/** A read of some rows under way (a page, a search, one session), from `startLoad`. */
export interface Load {
  readonly generation: number;
  /** The tail's position when the read was sent: its answer must reflect at least this. */
  readonly issuedAt: number;
}

/**
 * The client's part of the sessions table: the rows in view (every active session, the
 * ended ones read so far), each folded with the server's own `evolve`, so that each equals
 * the server's row. On top of the fold, the answers to this client's own writes, shown at
 * once and dropped as soon as the log's events reach their position: one row per id, so
 * nothing is ever listed twice.
 *
 * Rows come from reads made at different positions (each page answers its own), while the
 * tail delivers each position once. What makes every event count exactly once in every row
 * is the row's `version`, the number of its stream's events it holds: an event of a stream
 * applies only when its version is the row's + 1, so an event the row was read after is
 * skipped, and one after it applies. The tail starts at or below every row's read (the
 * smallest position of the snapshot's pages), so no row misses an event after its read.
 * Later reads (scrolling, searching) are answered at or above the tail's position when they
 * were sent; the events that arrive while one is under way are held and replayed on its
 * rows, with the same rule, so a row read before an event that the tail already passed
 * still gets it (a deletion included).
 */
export class SessionTable {
  #rows = new Map<string, SessionState>();
  #ahead = new Map<string, Ahead>();
  #position = 0;
  #generation = 0;
  #loads = 0;
  /** Every event applied while a read is under way, in order. */
  #held: Envelope[] = [];
  // Rows keep their identity until they change, so that a view re-renders only what changed.
  #shown = new WeakMap<SessionState, Session>();

  /**
   * Called with a stream the table does not hold, when its event says the session is not
   * an old ended one (those accept only a deletion): a row the reads missed, to read now.
   */
  onMissing: (id: string) => void = () => {};

  /** Every event up to here has been received from the tail. */
  get position(): number {
    return this.#position;
  }

  /** Starts over from a snapshot whose reads all reflect `position` or later. */
  reset(sessions: readonly Session[], position: number): void {
    this.#rows = new Map(sessions.map((session) => [session.id, { ...session, deletedAt: null }]));
    this.#ahead.clear();
    this.#position = position;
    this.#generation++;
    this.#loads = 0;
    this.#held = [];
  }

  /**
   * Folds in the events above the position, in order; returns them all (the rows they
   * changed or not: the views of events want every one, each once).
   */
  apply(events: readonly Envelope[]): Envelope[] {
    const applied: Envelope[] = [];
    for (const event of events) {
      // The tail's guard against doubles: a replay overlapping what was already received.
      if (event.position <= this.#position) continue;
      this.#position = event.position;
      if (this.#loads > 0) this.#held.push(event);
      this.#fold(event, true);
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

  /** A read of rows begins: the events from now on are held for its answer. */
  startLoad(): Load {
    this.#loads++;
    return { generation: this.#generation, issuedAt: this.#position };
  }

  /**
   * A read's answer (`rows` at the answer's position; undefined when it failed): rows the
   * table lacks or holds at a lower version are taken, then the events held meanwhile are
   * replayed on them. An answer from before the last reset changes nothing.
   */
  endLoad(load: Load, rows: readonly Session[] | undefined): void {
    if (load.generation !== this.#generation) return;
    if (rows !== undefined && rows.length > 0) {
      const taken = new Set<string>();
      for (const row of rows) {
        const known = this.#rows.get(row.id);
        if (known !== undefined && known.version >= row.version) continue;
        this.#rows.set(row.id, { ...row, deletedAt: null });
        taken.add(row.id);
      }
      for (const event of this.#held) if (taken.has(event.stream)) this.#fold(event, false);
    }
    this.#loads--;
    if (this.#loads === 0) this.#held = [];
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

  #fold(event: Envelope, live: boolean): void {
    const row = this.#rows.get(event.stream);
    if (row === undefined) {
      // A start makes the whole row. Anything else on a stream not in view: an ended
      // session's deletion changes nothing shown; any other event is a session that can
      // still change, which a read missed (it moved ahead of a page's cursor meanwhile).
      if (event.type === 'SessionStarted') this.#put(event.stream, evolve(null, event));
      else if (live && event.type !== 'SessionDeleted') this.onMissing(event.stream);
      return;
    }
    if (event.version <= row.version) return;
    this.#put(event.stream, evolve(row, event));
  }

  #put(id: string, next: SessionState | null): void {
    // The server keeps deleted rows out of its table; so does the client.
    if (next === null || next.deletedAt !== null) this.#rows.delete(id);
    else this.#rows.set(id, next);
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
