/**
 * The protocol's live-mode cursor (Durable Streams §10.1): the number of 20-second intervals
 * since 2024-10-09T00:00:00Z. A client echoing a cursor at or past the current interval gets
 * a strictly greater one (advanced by 1 to 3600 seconds of jitter), so that a CDN collapsing
 * long-polls by URL can never serve a cached answer in a loop.
 */
const EPOCH = Date.UTC(2024, 9, 9);
const INTERVAL_MS = 20_000;

export function nextCursor(echoed: string | undefined, now = Date.now()): string {
  const current = Math.floor((now - EPOCH) / INTERVAL_MS);
  const previous = echoed !== undefined && /^\d{1,15}$/.test(echoed) ? Number(echoed) : -1;
  if (previous < current) return String(current);
  const jitterSeconds = 1 + Math.floor(Math.random() * 3600);
  return String(previous + Math.max(1, Math.ceil((jitterSeconds * 1000) / INTERVAL_MS)));
}
