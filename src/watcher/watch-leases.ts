/**
 * Who watches a session's directory when several nodes serve one log: exactly one, the
 * holder of the session's lease.
 */
export interface WatchLeases {
  /** Takes the session's lease if nobody holds it (or it expired); true when this node has it. */
  claim(sessionId: string): Promise<boolean>;
  release(sessionId: string): Promise<void>;
  /**
   * Keeps this node's leases alive, and every `renewMs` tells `onLost` of the leases it no
   * longer holds and `onOrphans` of the active sessions whose lease has lapsed (their node
   * died or stopped): the caller claims and watches those.
   */
  start(handlers: {
    onLost(sessionIds: string[]): void;
    onOrphans(sessions: Array<{ id: string; cwd: string }>): void;
  }): void;
  /** Stops renewing and gives every lease back, so that another node takes over at once. */
  close(): Promise<void>;
}
