/** How long to wait between reconnection attempts. */
export interface BackoffOptions {
  /** The ceiling of the first wait; each attempt doubles it. */
  baseMs: number;
  /** The ceiling never grows past this. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/**
 * The wait before attempt `attempt` (1, 2, …): exponential, with "equal jitter": half of the
 * ceiling for sure, the other half random. The sure half keeps a flapping server from being
 * hammered; the random half keeps every tab of a restarted server from retrying in lockstep.
 */
export function backoffDelay(
  attempt: number,
  random: () => number,
  { baseMs, maxMs }: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
