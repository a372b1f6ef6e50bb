/** What a client is told when it is over its rate. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Takes one unit for `client`, or says how long until one is free. */
  take(client: string): RateDecision;
}

export interface RateLimitOptions {
  /** Units per minute per client; 0 means unlimited. */
  perMinute: number;
  now?: () => number;
  /** Clients remembered at once; past it the least recently seen are forgotten. */
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MINUTE = 60_000;

/**
 * A token bucket per client: `perMinute` units in a burst, refilled evenly over a minute.
 * A bucket that has refilled fully is the same as no bucket, so when `maxClients` are
 * remembered the idle ones are forgotten first: memory stays bounded whatever the number of
 * addresses a client can send from.
 */
export function rateLimiter({
  perMinute,
  now = Date.now,
  maxClients = 10_000,
}: RateLimitOptions): RateLimiter {
  if (perMinute <= 0) return { take: () => ({ allowed: true }) };
  const perMs = perMinute / MINUTE;
  // A Map iterates in insertion order: re-inserting on each take keeps the oldest first.
  const buckets = new Map<string, Bucket>();

  const refilled = (bucket: Bucket, at: number): number =>
    Math.min(perMinute, bucket.tokens + (at - bucket.at) * perMs);

  function forgetIdle(at: number): void {
    for (const [client, bucket] of buckets) {
      if (refilled(bucket, at) >= perMinute) buckets.delete(client);
    }
    // Still full of busy clients (many addresses at once): drop the least recently seen.
    for (const client of buckets.keys()) {
      if (buckets.size < maxClients) break;
      buckets.delete(client);
    }
  }

  return {
    take(client) {
      const at = now();
      const bucket = buckets.get(client);
      const tokens = bucket === undefined ? perMinute : refilled(bucket, at);
      if (tokens < 1) {
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)),
        };
      }
      buckets.delete(client);
      if (buckets.size >= maxClients) forgetIdle(at);
      buckets.set(client, { tokens: tokens - 1, at });
      return { allowed: true };
    },
  };
}
