import type { PageQuery } from '../projections/projection.js';
import type { SessionState, SessionStatus } from './session.js';

/** A page of the sessions table: most recent activity first, then id (both descending). */
export type SessionsPageQuery = PageQuery<SessionState, 'status'>;

/**
 * The whole table as `list` answers it, read from one snapshot a chunk of rows at a time:
 * memory holds one chunk whatever the table's size. The snapshot is let go when `chunks`
 * ends or is returned early (`chunks.return()`).
 */
export interface SessionsScan {
  position: number;
  chunks: AsyncIterableIterator<SessionState[]>;
}

/**
 * The sessions table as a store keeps it in step with the log: the port both stores
 * implement, from which `composeSessionlog` makes the same `Sessionlog` on either.
 */
export interface SessionsView {
  /** The session as the commands decide on it: with read-your-writes. */
  current(id: string): SessionState | null | Promise<SessionState | null>;
  /** The sessions not deleted, newest first, and the position they reflect, read together. */
  list(status?: SessionStatus): Promise<{ sessions: SessionState[]; position: number }>;
  /**
   * What `list` answers, without holding it all in memory; with `statuses`, the rows whose
   * status is one of them (`active`: pending and in progress, in one snapshot).
   */
  scan(statuses?: readonly SessionStatus[]): Promise<SessionsScan>;
  /** A page and the position it reflects, read together. */
  page(query: SessionsPageQuery): Promise<{ sessions: SessionState[]; position: number }>;
  /** The same list as it was right after `position`. */
  asOf(position: number, status?: SessionStatus): Promise<SessionState[]>;
  /** The same page as it was right after `position`. */
  asOfPage(position: number, query: SessionsPageQuery): Promise<SessionState[]>;
  get(id: string): Promise<{ session: SessionState | undefined; position: number }>;
  /** The position the table reflects. */
  position(): Promise<number>;
}
