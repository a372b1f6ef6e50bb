import { existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { startServer, subscribe } from '../src/testing/index.js';
import '../src/testing/vitest.js';

const cwd = realpathSync(tmpdir());

describe('startServer (sessionlog/testing)', () => {
  it('serves a fresh in-memory log on a free port, one per call', async () => {
    const [one, two] = await Promise.all([startServer(), startServer()]);
    try {
      expect(one.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(one.wsUrl).toBe(`${one.url.replace('http', 'ws')}/ws`);
      expect(one.url).not.toBe(two.url);
      expect(one.logId).not.toBe(two.logId);
      expect(one.db).toBe(':memory:');
      const health = await (await one.fetch('/api/health')).json();
      expect(health).toMatchObject({ status: 'ok', logId: one.logId, head: 0 });
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('sends the token itself, and JSON bodies as JSON', async () => {
    const server = await startServer({ token: 's3cret' });
    try {
      expect((await fetch(`${server.url}/api/sessions`)).status).toBe(401);
      const created = await server.fetch('/api/sessions', {
        method: 'POST',
        body: JSON.stringify({ cwd }),
      });
      expect(created.status).toBe(201);
      expect(await server.head()).toBe(1);
      const client = await subscribe(server.url, { after: 0, token: server.token });
      await client.waitFor(1);
      expect(client).toEqualEvents([{ type: 'SessionStarted', data: { cwd } }]);
      await client.close();
    } finally {
      await server.close();
    }
  });

  it('keeps a temporary log in a file until it closes, then deletes it', async () => {
    const server = await startServer({ db: 'temporary' });
    expect(existsSync(server.db)).toBe(true);
    await server.close();
    await server.close(); // closing twice is harmless
    expect(existsSync(server.db)).toBe(false);
  });
});

describe('subscribe (sessionlog/testing)', () => {
  it('waits for a position or a predicate, and says where it got to when it times out', async () => {
    const server = await startServer();
    try {
      const client = await subscribe(server.wsUrl, { after: 0, types: ['SessionEnded'] });
      const post = await server.fetch('/api/sessions', {
        method: 'POST',
        body: JSON.stringify({ cwd, name: 'x' }),
      });
      const { session } = (await post.json()) as { session: { id: string } };
      await server.fetch(`/api/sessions/${session.id}`, {
        method: 'PATCH',
        body: JSON.stringify({ status: 'failed' }),
      });
      await client.waitFor((events) => events.some((e) => e.type === 'SessionEnded'));
      await client.waitFor(2); // the filtered-out start counts towards the position too
      expect(client).toEqualEvents([{ type: 'SessionEnded', stream: session.id }]);
      await expect(client.waitFor(3, { timeout: 50 })).rejects.toThrow(
        'timed out after 50 ms waiting for position 3 (at position 2, 1 events received)',
      );
      await client.close();
      expect(await client.closed).toEqual({ code: 1000, reason: '' });
    } finally {
      await server.close();
    }
  });

  it('stops waiting when the connection closes first', async () => {
    const server = await startServer();
    const client = await subscribe(server.url);
    const waiting = expect(client.waitFor(10, { timeout: 10_000 })).rejects.toThrow(
      'the connection closed (1001) before position 10',
    );
    await server.close();
    await waiting;
  });

  it('rejects a subscription the server refuses', async () => {
    const server = await startServer({ token: 's3cret' });
    try {
      await expect(subscribe(server.url)).rejects.toThrow(/4401/);
      await expect(subscribe(server.url, { types: ['Bogus'], token: 's3cret' })).rejects.toThrow(
        /4400/,
      );
    } finally {
      await server.close();
    }
    await expect(subscribe(server.url)).rejects.toThrow(/cannot subscribe: .*ECONNREFUSED/);
  });
});
