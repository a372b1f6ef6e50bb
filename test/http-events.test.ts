import { describe, expect, it, vi } from 'vitest';
import type { Envelope } from '../src/events/envelope.js';
import type { Sessionlog } from '../src/sessions/sessionlog.js';
import { useApp } from './support/http-app.js';

interface Page {
  events: Envelope[];
  next: number;
  head: number;
}

/** `count` FileChanged events on `stream`, appended 1000 at a time (the store's most). */
async function fileChanges(log: Sessionlog, stream: string, count: number): Promise<void> {
  for (let done = 0; done < count; done += 1000) {
    const events = Array.from({ length: Math.min(1000, count - done) }, (_, i) => ({
      type: 'FileChanged' as const,
      data: { change: 'modified' as const, path: `src/f${done + i}.ts`, kind: 'file' as const },
    }));
    await log.store.append(stream, events);
  }
}

const ndjson = { accept: 'application/x-ndjson' };
const lines = async (response: Response) =>
  (await response.text())
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Envelope);

describe('GET /api/events', () => {
  const openApp = useApp();

  it('pages through the log with after, limit and next, and names the head', async () => {
    const { request, start } = openApp();
    for (let i = 0; i < 3; i++) await start();
    const page = async (query: string) =>
      (await (await request(`/api/events${query}`)).json()) as Page;
    const first = await page('?limit=2');
    expect(first.events.map((e) => e.position)).toEqual([1, 2]);
    expect(first).toMatchObject({ next: 2, head: 3 });
    const second = await page(`?after=${first.next}&limit=2`);
    expect(second.events.map((e) => e.position)).toEqual([3]);
    expect(await page(`?after=${second.next}`)).toEqual({ events: [], next: 3, head: 3 });
  });

  it('answers whole envelopes, as the log holds them', async () => {
    const { request, log, start } = openApp();
    await start();
    const body = (await (await request('/api/events')).json()) as Page;
    expect(body.events).toEqual(await log.store.read());
  });

  it('gives 1000 events by default and at most 10000', async () => {
    const { request, refused, log } = openApp();
    await fileChanges(log, 'session-x', 1001);
    const body = (await (await request('/api/events')).json()) as Page;
    expect(body.events).toHaveLength(1000);
    expect(body.next).toBe(1000);
    const problem = await refused(400, () => request('/api/events?limit=10001'));
    expect(problem.errors?.[0]?.path).toBe('limit');
  });

  it('filters by type and by stream, comma-separated', async () => {
    const { request, send, start } = openApp();
    const a = await start();
    const b = await start();
    await send('PATCH', `/api/sessions/${a}`, { name: 'x' });
    await send('DELETE', `/api/sessions/${b}`);
    const get = async (query: string) =>
      ((await (await request(`/api/events?${query}`)).json()) as Page).events.map(
        (e) => `${e.stream === a ? 'a' : 'b'}:${e.type}`,
      );
    expect(await get('types=SessionUpdated,SessionDeleted')).toEqual([
      'a:SessionUpdated',
      'b:SessionDeleted',
    ]);
    expect(await get(`streams=${b}`)).toEqual(['b:SessionStarted', 'b:SessionDeleted']);
    expect(await get(`streams=${a},${b}&types=SessionStarted`)).toEqual([
      'a:SessionStarted',
      'b:SessionStarted',
    ]);
  });

  it('refuses an unknown type name rather than answering an empty log', async () => {
    const { request, refused } = openApp();
    const problem = await refused(400, () => request('/api/events?types=SessionStarted,Bogus'));
    expect(problem.errors).toEqual([{ path: 'types', message: expect.stringContaining('Bogus') }]);
  });

  it('refuses an after that is not a position', async () => {
    const { request, refused } = openApp();
    for (const after of ['-1', 'one', '1e3']) {
      const problem = await refused(400, () => request(`/api/events?after=${after}`));
      expect(problem.errors?.[0]?.path).toBe('after');
    }
  });

  describe('as NDJSON (Accept: application/x-ndjson)', () => {
    it('streams every event after `after`, one envelope per line, over 20,000 of them', async () => {
      const { request, log, start } = openApp();
      await start();
      await fileChanges(log, 'session-a', 12_000);
      await fileChanges(log, 'session-b', 8_500);
      const read = vi.spyOn(log.store, 'read');
      const response = await request('/api/events?after=5', { headers: ndjson });
      expect(response.headers.get('content-type')).toBe('application/x-ndjson');
      const streamed = await lines(response);
      expect(streamed).toHaveLength(20_501 - 5);
      expect(streamed.map((e) => e.position)).toEqual(
        Array.from({ length: 20_496 }, (_, i) => i + 6),
      );
      expect(streamed).toEqual(await log.store.read({ after: 5 }));
      // Flat memory: the log was read a page of 1000 at a time, never whole.
      const limits = read.mock.calls.slice(0, -1).map(([options]) => options?.limit);
      expect(new Set(limits)).toEqual(new Set([1000]));
    });

    it('applies the filters and ignores the page limit', async () => {
      const { request, log } = openApp();
      await fileChanges(log, 'session-a', 1500);
      await fileChanges(log, 'session-b', 1500);
      const response = await request('/api/events?streams=session-b&limit=10', {
        headers: ndjson,
      });
      const streamed = await lines(response);
      expect(streamed).toHaveLength(1500);
      expect(streamed.every((e) => e.stream === 'session-b')).toBe(true);
    });

    it('stops at the head as it was when the request came in', async () => {
      const { request, log } = openApp();
      await fileChanges(log, 'session-a', 2500);
      const response = await request('/api/events', { headers: ndjson });
      await fileChanges(log, 'session-a', 10);
      const streamed = await lines(response);
      expect(streamed.at(-1)?.position).toBe(2500);
      expect(streamed).toHaveLength(2500);
    });

    it('answers an empty body for an empty log', async () => {
      const { request } = openApp();
      const response = await request('/api/events', { headers: ndjson });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
    });

    it('answers JSON when the client ranks JSON above NDJSON', async () => {
      const { request } = openApp();
      const response = await request('/api/events', {
        headers: { accept: 'application/x-ndjson;q=0.5, application/json' },
      });
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    });
  });
});
