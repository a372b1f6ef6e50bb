import type { SessionState, SessionStatus } from './session.js';

/**
 * The sessions table as a store keeps it in step with the log: the port both stores
 * implement, from which `composeSessionlog` makes the same `Sessionlog` on either.
 */
export interface SessionsView {
  /** The session as the commands decide on it: with read-your-writes. */
  current(id: string): SessionState | null | Promise<SessionState | null>;
  /** The sessions not deleted, newest first, and the position they reflect, read together. */
  list(status?: SessionStatus): Promise<{ sessions: SessionState[]; position: number }>;
  /** The same list as it was right after `position`. */
  asOf(position: number, status?: SessionStatus): Promise<SessionState[]>;
  get(id: string): Promise<{ session: SessionState | undefined; position: number }>;
  /** The position the table reflects. */
  position(): Promise<number>;
}
