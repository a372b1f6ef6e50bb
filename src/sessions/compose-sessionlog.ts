import type { SessionEvent } from '../events/schemas.js';
import type { EventStore } from '../events/store.js';
import type { SessionState } from './session.js';
import { sessionCommands } from './session-commands.js';
import type { Sessionlog } from './sessionlog.js';
import type { SessionsView } from './sessions-view.js';

/** The `Sessionlog` of a store, made the same way whatever holds it. */
export function composeSessionlog(parts: {
  location: string;
  store: EventStore<SessionEvent>;
  sessions: SessionsView;
  opened: Sessionlog['opened'];
  close(): Promise<void>;
}): Sessionlog {
  const { location, store, sessions, opened, close } = parts;
  return {
    location,
    store,
    commands: sessionCommands({ store, load: (id) => sessions.current(id) }),
    opened,
    async listSessions({ status, asOf } = {}) {
      if (asOf === undefined) return sessions.list(status);
      return { sessions: await sessions.asOf(asOf, status), position: asOf };
    },
    async pageSessions({ asOf, ...query }) {
      // One row more than asked: whether another page follows, without a second read.
      const wanted = { ...query, limit: query.limit + 1 };
      const { sessions: rows, position } =
        asOf === undefined
          ? await sessions.page(wanted)
          : { sessions: await sessions.asOfPage(asOf, wanted), position: asOf };
      return { sessions: rows.slice(0, query.limit), position, more: rows.length > query.limit };
    },
    scanSessions: (statuses) => sessions.scan(statuses),
    getSession: (id) => sessions.get(id),
    sessionsPosition: () => sessions.position(),
    async activeSessions() {
      const [pending, inProgress] = await Promise.all([
        sessions.list('pending'),
        sessions.list('in_progress'),
      ]);
      return oldestFirst([...pending.sessions, ...inProgress.sessions]);
    },
    close,
  };
}

/** Sessions in the order they started (ties by id): the order they were first watched in. */
export function oldestFirst(sessions: SessionState[]): SessionState[] {
  return sessions.sort(
    (a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id),
  );
}
