import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { UPGRADE_REFUSALS } from '../src/http/gateway/upgrade-refusal.js';
import { createLogger } from '../src/observe/logger.js';
import { subscribe } from '../src/testing/subscribe.js';
import { describeEachBackend } from './support/backends.js';
import { checkedFetch } from './support/openapi-check.js';
import { scrape } from './support/scrape.js';
import { appendMany, useServers } from './support/server.js';
import { useLogFile } from './support/temp-dir.js';

/** Polls `check` (a scrape) until it holds. */
const until = (check: () => Promise<boolean>, timeout = 5000) =>
  vi.waitFor(
    async () => {
      if (!(await check())) throw new Error('not yet');
    },
    { timeout, interval: 50 },
  );

const TOKEN = 'metrics-test-token-0123456789';
const started = {
  type: 'SessionStarted' as const,
  data: { cwd: '/tmp', hostname: 'h', platform: 'linux' },
};
const changed = {
  type: 'FileChanged' as const,
  data: { change: 'modified' as const, path: 'a.txt', kind: 'file' as const },
};

describeEachBackend('GET /metrics', (logFile, backend) => {
  const start = useServers();
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('answers only with the token when one is set', async () => {
    const server = await start({ db: logFile(), token: TOKEN });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/metrics`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    expect((await scrape(server.url, TOKEN)).value('sessionlog_log_head')).toBe(0);
  });

  it('moves each series when its cause happens: appends, commits, head, projection, HTTP 4xx', async () => {
    const server = await start({ db: logFile(), token: TOKEN });
    const before = await scrape(server.url, TOKEN);
    await server.log.store.append('s', [started]);
    await server.log.store.append('s', [changed, changed]);
    const missing = await fetch(`${server.url}/api/sessions/no-such-session`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(missing.status).toBe(404);
    const after = await scrape(server.url, TOKEN);
    const moved = (name: string, labels?: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    expect(moved('sessionlog_events_appended_total', { type: 'SessionStarted' })).toBe(1);
    expect(moved('sessionlog_events_appended_total', { type: 'FileChanged' })).toBe(2);
    expect(moved('sessionlog_commit_duration_seconds')).toBe(2);
    expect(after.sum('sessionlog_commit_duration_seconds')).toBeGreaterThan(0);
    expect(moved('sessionlog_commit_batch_size')).toBe(2);
    expect(after.value('sessionlog_log_head')).toBe(3);
    expect(after.value('sessionlog_projection_position', { projection: 'sessions' })).toBe(3);
    expect(after.value('sessionlog_projection_lag', { projection: 'sessions' })).toBe(0);
    // The route's pattern, not the path: one series however many ids are asked for.
    expect(
      after.value('sessionlog_http_requests_total', {
        method: 'GET',
        route: '/api/sessions/:id',
        status: '404',
      }),
    ).toBe(1);
    expect(
      after.value('sessionlog_http_request_duration_seconds', {
        method: 'GET',
        route: '/api/sessions/:id',
      }),
    ).toBe(1);
    const routes = after.families
      .find((f) => f.name === 'sessionlog_http_requests_total')
      ?.metrics.map((m) => m.labels?.route);
    expect(routes).not.toContain('/api/sessions/no-such-session');
    expect(before.families.some((f) => f.name.startsWith('sessionlog_pg_'))).toBe(
      backend.name === 'PostgreSQL',
    );
  });

  it('counts subscriptions by transport, resumes with the events they replay, and resets', async () => {
    const server = await start({ db: logFile(), token: TOKEN });
    await appendMany(server, 50);
    const client = await subscribe(server.url, { after: 0, token: TOKEN });
    await client.waitFor(50);
    const open = await scrape(server.url, TOKEN);
    expect(open.value('sessionlog_subscriptions_open', { transport: 'ws' })).toBe(1);
    expect(open.value('sessionlog_subscription_resumes_total', { transport: 'ws' })).toBe(1);
    expect(open.value('sessionlog_events_replayed_total', { transport: 'ws' })).toBe(50);
    client.close();
    const beyond = await subscribe(server.url, { after: 1000, token: TOKEN });
    expect((await beyond.closed).code).toBe(4409);
    await until(
      async () =>
        (await scrape(server.url, TOKEN)).value('sessionlog_subscriptions_open', {
          transport: 'ws',
        }) === 0,
    );
    const after = await scrape(server.url, TOKEN);
    expect(
      after.value('sessionlog_subscription_resets_total', {
        transport: 'ws',
        reason: 'beyond-head',
      }),
    ).toBe(1);
  });

  it('counts a slow consumer closed with 4408', async () => {
    const server = await start({
      db: logFile(),
      token: TOKEN,
      durability: 'normal',
      gateway: {
        heartbeatMs: 50,
        limits: { highWater: 16 * 1024, maxBuffered: 64 * 1024, slowClientMs: 100 },
      },
    });
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws?after=0`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    // Stop reading: the kernel's buffers fill, then the server's.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    await appendMany(server, 20_000);
    await until(
      async () =>
        (await scrape(server.url, TOKEN)).value('sessionlog_slow_consumer_closes_total', {
          transport: 'ws',
        }) === 1,
      10_000,
    );
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toBe(4408);
  });

  // On PostgreSQL a node past --max-watchers claims no lease (another node may watch it): no
  // WatchFailed is its to record.
  it.runIf(backend.name === 'SQLite')(
    'counts the watchers open and WatchFailed by reason',
    async () => {
      const server = await start({ db: logFile(), token: TOKEN, maxWatchers: 1 });
      const post = (cwd: string) =>
        fetch(`${server.url}/api/sessions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ cwd }),
        });
      const first = mkdtempSync(join(tmpdir(), 'sessionlog-metrics-'));
      const second = mkdtempSync(join(tmpdir(), 'sessionlog-metrics-'));
      dirs.push(first, second);
      expect((await post(first)).status).toBe(201);
      await until(
        async () => (await scrape(server.url, TOKEN)).value('sessionlog_watchers_open') === 1,
      );
      // Past --max-watchers: not watched, and a WatchFailed says so.
      expect((await post(second)).status).toBe(201);
      await until(
        async () =>
          (await scrape(server.url, TOKEN)).value('sessionlog_watch_failed_total', {
            reason: 'max-watchers',
          }) === 1,
      );
      const after = await scrape(server.url, TOKEN);
      expect(after.value('sessionlog_events_appended_total', { type: 'WatchFailed' })).toBe(1);
      expect(after.value('sessionlog_watchers_open')).toBe(1);
    },
  );

  it.runIf(backend.name === 'PostgreSQL')(
    'counts the tail reconnecting after its LISTEN connection is cut',
    async () => {
      const server = await start({ db: logFile(), token: TOKEN });
      const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
      await admin.connect();
      try {
        const schema = new URL(logFile()).searchParams.get('schema');
        const { rowCount } = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name LIKE '% listen' AND query LIKE $1`,
          [`%LISTEN%${schema ?? ''}%`],
        );
        expect(rowCount).toBeGreaterThan(0);
      } finally {
        await admin.end();
      }
      await until(
        async () =>
          (await scrape(server.url, TOKEN)).value('sessionlog_pg_tail_reconnects_total') === 1,
        10_000,
      );
      await server.log.store.append('s', [started]);
      await until(
        async () => (await scrape(server.url, TOKEN)).value('sessionlog_pg_tail_lag') === 0,
      );
    },
  );
});

/** Opens `/ws` and settles with the close code, or the HTTP status when no upgrade was made. */
function refusedWith(url: string, headers: Record<string, string> = {}): Promise<number> {
  const socket = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('close', (code) => resolve(code));
    socket.once('error', (error) => {
      if (!/Unexpected server response/.test(String(error))) reject(error);
    });
  });
}

/** An upgrade request ws would refuse as a handshake: an unknown WebSocket version. */
function badHandshake(port: number, requestId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = request({
      host: '127.0.0.1',
      port,
      path: `/ws?token=${TOKEN}`,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '99',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'x-request-id': requestId,
      },
    });
    sent.once('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    sent.once('error', reject);
    sent.end();
  });
}

describe('WebSocket upgrades refused before a subscription exists', () => {
  const start = useServers();
  const logFile = useLogFile();

  it('are counted by reason and logged once each, by request id, never with the token', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      format: 'json',
      destination: { write: (line) => void lines.push(line) },
    });
    const server = await start({
      db: logFile(),
      token: TOKEN,
      logger,
      gateway: { maxConnections: 1 },
    });
    const before = await scrape(server.url, TOKEN);
    // Every reason is a series from the start, at 0.
    for (const reason of UPGRADE_REFUSALS) {
      expect(before.value('sessionlog_ws_upgrades_refused_total', { reason }), reason).toBe(0);
    }
    const ws = server.url.replace('http', 'ws');
    const id = (reason: string) => ({ 'x-request-id': `refused-${reason}` });
    // Checked against the OpenAPI document: 426 is a documented answer of GET /ws.
    const plain = await checkedFetch(`${server.url}/ws?token=${TOKEN}`, {
      headers: id('not-upgrade'),
    });
    expect(plain.status).toBe(426);
    expect(plain.headers.get('upgrade')).toBe('websocket');
    expect(await badHandshake(server.port, 'refused-handshake')).toBe(400);
    expect(
      await refusedWith(`${ws}/ws?token=${TOKEN}`, { ...id('host'), host: 'evil.example' }),
    ).toBe(403);
    expect(await refusedWith(`${ws}/ws?token=not-the-token`, id('unauthorized'))).toBe(4401);
    expect(
      await refusedWith(`${ws}/ws?token=${TOKEN}`, {
        ...id('origin'),
        origin: 'http://evil.example',
      }),
    ).toBe(4403);
    expect(await refusedWith(`${ws}/ws?token=${TOKEN}&after=abc`, id('bad-parameters'))).toBe(4400);
    const holder = await subscribe(server.url, { after: 0, token: TOKEN });
    await holder.waitFor(0);
    expect(await refusedWith(`${ws}/ws?token=${TOKEN}`, id('too-many-connections'))).toBe(4429);
    holder.close();
    // Shutting down: the gateway refuses upgrades while the HTTP API still answers.
    await server.gateway.close();
    expect(await refusedWith(`${ws}/ws?token=${TOKEN}`, id('shutting-down'))).toBe(503);

    const after = await scrape(server.url, TOKEN);
    for (const reason of UPGRADE_REFUSALS) {
      expect(after.value('sessionlog_ws_upgrades_refused_total', { reason }), reason).toBe(1);
    }
    const text = lines.join('');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('not-the-token');
    expect(text).not.toContain('token=');
    const refusals = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === 'websocket refused');
    expect(refusals.map((entry) => entry.reason).sort()).toEqual([...UPGRADE_REFUSALS].sort());
    for (const entry of refusals) {
      expect(entry).toMatchObject({
        requestId: `refused-${entry.reason}`,
        route: '/ws',
        status: expect.any(Number),
      });
    }
  });
});
