import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientOf } from '../src/http/client-address.js';
import { rateLimiter } from '../src/http/rate-limit.js';
import { useServers } from './support/server.js';
import { useLogFile, useTempDir } from './support/temp-dir.js';

/** POST /api/sessions from `localAddress`: the status and Retry-After of the answer. */
function createFrom(port: number, localAddress: string, cwd: string) {
  const body = JSON.stringify({ cwd });
  return new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        localAddress,
        method: 'POST',
        path: '/api/sessions',
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string | undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

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

describe('the creation rate over HTTP', () => {
  const start = useServers();
  const logFile = useLogFile();
  const workDir = useTempDir();

  it('counts every loopback address as one client', async () => {
    const server = await start({ db: logFile(), createRate: 2 });
    const answers = [
      await createFrom(server.port, '127.0.0.2', workDir()),
      await createFrom(server.port, '127.0.0.2', workDir()),
      await createFrom(server.port, '127.0.0.3', workDir()),
    ];
    expect(answers.map((a) => a.status)).toEqual([201, 201, 429]);
    expect(Number(answers[2]?.retryAfter)).toBeGreaterThan(0);
  });

  it('knows loopback in all its forms, and an IPv4-mapped address as its IPv4 one', () => {
    const loopback = clientOf('127.0.0.1');
    for (const address of ['127.0.0.2', '127.255.0.9', '::1', '::ffff:127.0.0.3', undefined]) {
      expect(clientOf(address), String(address)).toBe(loopback);
    }
    expect(clientOf('::ffff:192.0.2.7')).toBe(clientOf('192.0.2.7'));
    expect(clientOf('192.0.2.7')).not.toBe(clientOf('192.0.2.8'));
    expect(clientOf('2001:db8::1')).not.toBe(loopback);
  });
});
