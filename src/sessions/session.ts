import type { ProjectedEvent } from '../events/envelope.js';

export type SessionStatus = 'pending' | 'in_progress' | 'completed' | 'failed';

/** A row of the sessions table (SPEC, "A session row has"). */
export interface Session {
  id: string;
  name: string | null;
  cwd: string;
  hostname: string;
  platform: string;
  user: string | null;
  status: SessionStatus;
  summary: string | null;
  startedAt: string;
  endedAt: string | null;
  lastActivityAt: string;
  fileChanges: number;
  /** The stream version this row reflects: what `If-Match` compares with. */
  version: number;
}

/** What the rules know of a session: its row, and whether it was deleted. */
export interface SessionState extends Session {
  deletedAt: string | null;
}

export const isEnded = (state: SessionState): boolean =>
  state.status === 'completed' || state.status === 'failed';

/**
 * The event types whose data `evolve` never reads (a fold from stored rows leaves it unparsed;
 * test/session-rules.test.ts folds each with a data that throws when touched).
 */
export const DATA_NOT_READ: ReadonlySet<string> = new Set([
  'SessionDeleted',
  'FileChanged',
  'WatchFailed',
]);

/**
 * Applies one event to a session. Pure: the time and the version come from the envelope.
 * The sessions table, `asOf` and the command handler's state are all this fold.
 */
export function evolve(state: SessionState | null, event: ProjectedEvent): SessionState | null {
  if (event.type === 'SessionStarted') {
    const { cwd, hostname, platform, user, name } = event.data;
    return {
      id: event.stream,
      name: name ?? null,
      cwd,
      hostname,
      platform,
      user: user ?? null,
      status: 'pending',
      summary: null,
      startedAt: event.time,
      endedAt: null,
      lastActivityAt: event.time,
      fileChanges: 0,
      version: event.version,
      deletedAt: null,
    };
  }
  // Only a start creates a session; anything else on an unknown stream changes nothing.
  if (state === null) return null;
  const next = copyOf(state);
  next.version = event.version;
  switch (event.type) {
    case 'SessionUpdated': {
      const { name, summary, status } = event.data;
      next.lastActivityAt = event.time;
      if (name !== undefined) next.name = name;
      if (summary !== undefined) next.summary = summary;
      if (status !== undefined) next.status = status;
      return next;
    }
    case 'SessionEnded': {
      const { status, summary } = event.data;
      next.lastActivityAt = event.time;
      next.status = status;
      next.endedAt = event.time;
      if (summary !== undefined) next.summary = summary;
      return next;
    }
    case 'SessionDeleted':
      next.deletedAt = event.time;
      return next;
    case 'FileChanged':
      next.lastActivityAt = event.time;
      next.fileChanges = state.fileChanges + 1;
      return next;
    case 'WatchFailed':
      // A failing watcher is not activity in the session.
      return next;
    default:
      return exhaustive(event);
  }
}

/**
 * A copy of the state, field by field in the row's order: every state then has one shape. Made
 * by spreads of spreads, states took many, and V8 copied each the slow way (a tenth of
 * verify's fold).
 */
function copyOf(state: SessionState): SessionState {
  return {
    id: state.id,
    name: state.name,
    cwd: state.cwd,
    hostname: state.hostname,
    platform: state.platform,
    user: state.user,
    status: state.status,
    summary: state.summary,
    startedAt: state.startedAt,
    endedAt: state.endedAt,
    lastActivityAt: state.lastActivityAt,
    fileChanges: state.fileChanges,
    version: state.version,
    deletedAt: state.deletedAt,
  };
}

/** The compile-time guarantee that a new event type cannot be forgotten in a switch. */
export function exhaustive(value: never): never {
  throw new Error(`unhandled: ${JSON.stringify(value)}`);
}

/** The row as the API shows it: the deletion mark is the store's business. */
export function toSession({ deletedAt: _, ...session }: SessionState): Session {
  return session;
}
