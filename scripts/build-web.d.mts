/** Why the dashboard build is out of date, or undefined when it is current. */
export function staleReason(): string | undefined;
/** Builds the dashboard when stale (or always, with `force`), swapping the new build in whole. */
export function buildDashboard(options?: {
  force?: boolean;
}): Promise<{ built: boolean; reason?: string; ms?: number }>;
