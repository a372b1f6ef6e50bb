import { batch, type ReadonlySignal, signal } from '@preact/signals';
import type { Envelope } from '../../../src/events/envelope.js';
import type { Session } from '../../../src/sessions/session.js';
import { type Load, SessionTable } from './session-table.js';
import type { Snapshot } from './snapshot.js';

/**
 * The sessions table as the views see it: signals that change together, in one batch, so
 * that no view ever renders a table from one position beside a position from another.
 */
export interface LiveTable {
  readonly sessions: ReadonlySignal<ReadonlyMap<string, Session>>;
  readonly position: ReadonlySignal<number>;
  readonly head: ReadonlySignal<number>;
  readonly logId: ReadonlySignal<string | undefined>;
  readonly epoch: ReadonlySignal<number>;
  /** Starts over from a snapshot, maybe of another log: views of the old one reload. */
  adopt(snapshot: Snapshot): void;
  /** Folds in the events above the position; returns the ones folded in. */
  apply(events: readonly Envelope[]): Envelope[];
  /** The server vouched that nothing else up to `position` exists. */
  advance(position: number): void;
  /** The server told of its head (`hello`, `heartbeat`): it only ever moves up. */
  heardOf(head: number): void;
  /** Tells the listeners of a run of applied events. */
  notify(applied: readonly Envelope[]): void;
  /** A read of rows begins (a page, a search, one session): see SessionTable. */
  startLoad(): Load;
  /** Its answer, or undefined when it failed. */
  endLoad(load: Load, rows: readonly Session[] | undefined): void;
  /** Called with a session the tail changed that the table does not hold. */
  onMissing(listener: (id: string) => void): void;
  confirm(session: Session, position: number): void;
  confirmDeleted(id: string, position: number): void;
  onEvents(listener: (events: readonly Envelope[]) => void): () => void;
}

export function createLiveTable(): LiveTable {
  const table = new SessionTable();
  const sessions = signal<ReadonlyMap<string, Session>>(new Map());
  const position = signal(0);
  const head = signal(0);
  const logId = signal<string | undefined>(undefined);
  const epoch = signal(0);
  const listeners = new Set<(events: readonly Envelope[]) => void>();

  function publish(): void {
    batch(() => {
      sessions.value = table.rows();
      position.value = table.position;
      if (table.position > head.value) head.value = table.position;
    });
  }

  return {
    sessions,
    position,
    head,
    logId,
    epoch,
    adopt(snapshot) {
      batch(() => {
        table.reset(snapshot.sessions, snapshot.position);
        logId.value = snapshot.logId;
        head.value = snapshot.position;
        epoch.value++;
        publish();
      });
    },
    apply(events) {
      const applied = table.apply(events);
      publish();
      return applied;
    },
    advance(at) {
      table.advance(at);
      publish();
    },
    heardOf(at) {
      if (at > head.value) head.value = at;
    },
    notify(applied) {
      if (applied.length > 0) for (const listener of listeners) listener(applied);
    },
    startLoad: () => table.startLoad(),
    endLoad(load, rows) {
      table.endLoad(load, rows);
      publish();
    },
    onMissing(listener) {
      table.onMissing = listener;
    },
    confirm(session, at) {
      table.confirm(session, at);
      publish();
    },
    confirmDeleted(id, at) {
      table.confirmDeleted(id, at);
      publish();
    },
    onEvents(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
