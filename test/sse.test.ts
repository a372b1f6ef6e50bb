import { expect, it } from 'vitest';
import { subscribeSse } from '../src/testing/index.js';
import { describeEachBackend } from './support/backends.js';
import { checkedFetch as fetch } from './support/openapi-check.js';
import { appendMany, useServers } from './support/server.js';

// What only the event stream does: its text, Last-Event-ID, problem+json refusals, the token
// in the query. What both transports do is in gateway.test.ts.
const positions = (events: readonly { position: number }[]) => events.map((e) => e.position);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A response body's text up to the first `until`. */
async function readUntil(response: Response, until: string): Promise<string> {
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (reader !== undefined && !text.includes(until)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader?.cancel();
  return text;
}

describeEachBackend('the event stream (Server-Sent Events)', (logFile) => {
  const start = useServers();

  it('answers text/event-stream: a retry hint, hello without an id, then each event with its position as id and its type as event', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 2);
    const response = await fetch(`${server.url}/api/events/stream?after=0`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const text = await readUntil(response, 'event: live');
    const [event1] = await server.log.store.read({ after: 0, limit: 1 });
    const hello = { type: 'hello', logId: server.log.store.logId, head: 2, after: 0 };
    expect(text).toMatch(
      new RegExp(
        `^retry: 2000\n\nevent: hello\ndata: ${literal(JSON.stringify(hello))}\n\n` +
          `id: 1\nevent: SessionStarted\ndata: ${literal(JSON.stringify(event1))}\n\n` +
          'id: 2\nevent: FileChanged\ndata: \\{[^\n]*\\}\n\n' +
          `id: 2\nevent: live\ndata: ${literal('{"type":"live","position":2}')}\n\n`,
      ),
    );
  });

  it('resumes from Last-Event-ID rather than after, as a reconnecting EventSource asks', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 1500);
    const client = await subscribeSse(server.url, { after: 0, lastEventId: '1200' });
    expect(client.frames[0]).toMatchObject({ type: 'hello', after: 1200 });
    await client.waitFor(1500);
    expect(positions(client.events)).toEqual(range(1201, 1500));
    await client.close();
    // Not a position: ignored (a refusal would be retried forever with the same header).
    const other = await subscribeSse(server.url, { after: 1490, lastEventId: 'abc' });
    await other.waitFor(1500);
    expect(positions(other.events)).toEqual(range(1491, 1500));
    await other.close();
  });

  it('sends hello and reset without an id, so that no reconnection resumes from them', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 5);
    for (const options of [{ logId: 'another-log', after: 2 }, { after: 99 }]) {
      const client = await subscribeSse(server.url, options);
      await client.closed;
      expect(client.frames.map((f) => f.type)).toEqual(['hello', 'reset']);
      expect(client.lastEventId).toBeUndefined();
    }
  });

  it('refuses bad parameters with 400 problem+json before streaming', async () => {
    const server = await start({ db: logFile() });
    for (const query of ['after=-1', 'after=abc', 'types=NoSuchType', 'logId=']) {
      const response = await fetch(`${server.url}/api/events/stream?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(((await response.json()) as { errors: unknown[] }).errors).toHaveLength(1);
    }
  });
});

describeEachBackend('the event stream’s security', (logFile) => {
  const start = useServers();

  it('takes the token as ?token= on this route alone, as a browser’s EventSource must send it', async () => {
    const server = await start({ db: logFile(), token: 's3cret' });
    await expect(subscribeSse(server.url, { token: 'guess', tokenIn: 'query' })).rejects.toThrow(
      /401/,
    );
    const client = await subscribeSse(server.url, { token: 's3cret', tokenIn: 'query' });
    await client.close();
    // The exception is narrow: the rest of the API still wants the header.
    expect((await fetch(`${server.url}/api/events?token=s3cret`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/health?token=s3cret`)).status).toBe(401);
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
