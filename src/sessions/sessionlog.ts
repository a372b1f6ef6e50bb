import type { EventStore } from '../events/store.js';
import type { SessionState, SessionStatus } from './session.js';
import type { SessionCommands } from './session-commands.js';
import type { SessionsPageQuery, SessionsScan } from './sessions-view.js';

/**
 * A log with its sessions table and commands, whatever holds it (SQLite, PostgreSQL): what
 * the HTTP API, the gateway and file watching work with.
 */
export interface Sessionlog {
  /** Where the log is: its file, `:memory:`, or the PostgreSQL URL without its password. */
  readonly location: string;
  readonly store: EventStore;
  readonly commands: SessionCommands;
  /** What opening did to the projections: rebuilt (version changed) or caught up. */
  readonly opened: { rebuilt: string[]; caughtUp: string[] };
  /**
   * The sessions not deleted, newest first, with the position they reflect, read together
   * (a client that tails the log from `position` then sees every later change once).
   * `asOf` gives the table as it was right after that position.
   */
  listSessions(filter?: {
    status?: SessionStatus;
    asOf?: number;
  }): Promise<{ sessions: SessionState[]; position: number }>;
  /**
   * A page of the sessions not deleted, most recent activity first (ties: id, descending),
   * with the position it reflects, read together; `more` when rows follow it. `asOf`: the
   * page of the table as it was right after that position.
   */
  pageSessions(
    query: SessionsPageQuery & { asOf?: number },
  ): Promise<{ sessions: SessionState[]; position: number; more: boolean }>;
  /**
   * What `listSessions` answers without `asOf`, a chunk at a time (large tables); with
   * `statuses`, the sessions in any of them.
   */
  scanSessions(statuses?: readonly SessionStatus[]): Promise<SessionsScan>;
  /** One session (deleted ones too: they answer 410) and the position it reflects. */
  getSession(id: string): Promise<{ session: SessionState | undefined; position: number }>;
  /** The position the sessions table reflects. */
  sessionsPosition(): Promise<number>;
  /** The sessions pending or in progress, oldest first: file watching resumes them. */
  activeSessions(): Promise<SessionState[]>;
  close(): Promise<void>;
}
