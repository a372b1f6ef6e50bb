/** Where the engine stands with the server; what the connection indicator shows. */
export type Connection =
  /** Loading the first snapshot. */
  | { state: 'connecting' }
  /** Caught up: events arrive as they commit. */
  | { state: 'live' }
  /** Reconnected and catching up: `missed` events are still to come. */
  | { state: 'replaying'; missed: number }
  /** Back after missing `missed` events, too many to replay: reading a new snapshot. */
  | { state: 'reloading'; missed: number }
  /** Waiting to try again (`retryAt`, a clock time; in the past while the try runs). */
  | { state: 'reconnecting'; attempt: number; retryAt: number; reason: string }
  /** The server holds another log, or is behind us: dropping the table, reloading it. */
  | { state: 'reset'; reason: string }
  /** The token is missing or wrong: trying again would not help. */
  | { state: 'unauthorized'; reason: string }
  | { state: 'stopped' };
