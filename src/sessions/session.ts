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
  const at = { version: event.version, lastActivityAt: event.time };
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
  switch (event.type) {
    case 'SessionUpdated': {
      const { name, summary, status } = event.data;
      return {
        ...state,
        ...at,
        ...(name === undefined ? {} : { name }),
        ...(summary === undefined ? {} : { summary }),
        ...(status === undefined ? {} : { status }),
      };
    }
    case 'SessionEnded': {
      const { status, summary } = event.data;
      return {
        ...state,
        ...at,
        status,
        endedAt: event.time,
        ...(summary === undefined ? {} : { summary }),
      };
    }
    case 'SessionDeleted':
      return { ...state, version: event.version, deletedAt: event.time };
    case 'FileChanged':
      return { ...state, ...at, fileChanges: state.fileChanges + 1 };
    case 'WatchFailed':
      // A failing watcher is not activity in the session.
      return { ...state, version: event.version };
    default:
      return exhaustive(event);
  }
}

/** The compile-time guarantee that a new event type cannot be forgotten in a switch. */
export function exhaustive(value: never): never {
  throw new Error(`unhandled: ${JSON.stringify(value)}`);
}

/** The row as the API shows it: the deletion mark is the store's business. */
export function toSession({ deletedAt: _, ...session }: SessionState): Session {
  return session;
}
