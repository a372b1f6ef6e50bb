import { describe, expect, it } from 'vitest';
import { rateLimiter } from '../src/http/rate-limit.js';

/** A clock the test moves by hand. */
function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('the creation rate limiter', () => {
  it('allows a burst of perMinute, then says when the next one is free', () => {
    const time = clock();
    const limiter = rateLimiter({ perMinute: 2, now: time.now });
    expect(limiter.take('a')).toEqual({ allowed: true });
    expect(limiter.take('a')).toEqual({ allowed: true });
    // One unit every 30 s at 2 a minute.
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 30 });
    time.advance(29_500);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    time.advance(500);
    expect(limiter.take('a')).toEqual({ allowed: true });
  });

  it('refills evenly, never above the burst', () => {
    const time = clock();
    const limiter = rateLimiter({ perMinute: 2, now: time.now });
    time.advance(10 * 60_000);
    const results = [limiter.take('a'), limiter.take('a'), limiter.take('a')];
    expect(results.map((r) => r.allowed)).toEqual([true, true, false]);
  });

  it('counts each client on its own', () => {
    const limiter = rateLimiter({ perMinute: 1, now: () => 0 });
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('does not limit at 0', () => {
    const limiter = rateLimiter({ perMinute: 0 });
    for (let i = 0; i < 1000; i++) expect(limiter.take('a').allowed).toBe(true);
  });

  it('forgets idle clients first when it remembers as many as it may', () => {
    const time = clock();
    const limiter = rateLimiter({ perMinute: 2, now: time.now, maxClients: 3 });
    limiter.take('busy');
    limiter.take('busy');
    limiter.take('idle');
    time.advance(31_000);
    // 'idle' has refilled (2 units): it is the same as a client never seen. 'busy' has 1.03.
    limiter.take('third');
    expect(limiter.take('fourth').allowed).toBe(true);
    // 'busy', the least recently seen, was kept with its count: one unit, not two.
    expect(limiter.take('busy').allowed).toBe(true);
    expect(limiter.take('busy').allowed).toBe(false);
  });

  it('stays bounded under a flood of addresses, dropping the least recently seen', () => {
    const limiter = rateLimiter({ perMinute: 1, now: () => 0, maxClients: 100 });
    for (let i = 0; i < 10_000; i++) limiter.take(`client-${i}`);
    // The most recent ones are remembered (and limited); the oldest were dropped.
    expect(limiter.take('client-9999').allowed).toBe(false);
    expect(limiter.take('client-0').allowed).toBe(true);
  });
});
