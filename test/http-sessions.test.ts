import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { useApp } from './support/http-app.js';

interface SessionAnswer {
  session: Record<string, unknown> & { id: string; version: number };
  position: number;
}

describe('the sessions API', () => {
  const openApp = useApp();

  describe('GET /api/health', () => {
    it('answers ok with the log id, its head and how far the sessions table has come', async () => {
      const { request, start, log } = openApp();
      await start();
      const response = await request('/api/health');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        status: 'ok',
        logId: log.store.logId,
        head: 1,
        projections: { sessions: 1 },
      });
    });
  });

  describe('POST /api/sessions', () => {
    it('starts a pending session where the client runs, with a Location and the position of its event', async () => {
      const { send, workDir, log } = openApp();
      const response = await send('POST', '/api/sessions', { cwd: workDir, name: 'build' });
      expect(response.status).toBe(201);
      const body = (await response.json()) as SessionAnswer;
      expect(body.session).toMatchObject({
        cwd: workDir,
        name: 'build',
        hostname: hostname(),
        platform: process.platform,
        user: null,
        status: 'pending',
        version: 1,
      });
      expect(body.session).not.toHaveProperty('deletedAt');
      expect(body.position).toBe(await log.store.head());
      expect(response.headers.get('location')).toBe(`/api/sessions/${body.session.id}`);
      expect(response.headers.get('etag')).toBe('W/"1"');
    });

    it('records what the client says of its host and user', async () => {
      const { send, workDir } = openApp();
      const response = await send('POST', '/api/sessions', {
        cwd: workDir,
        hostname: 'laptop',
        platform: 'darwin',
        user: 'ada',
      });
      expect(((await response.json()) as SessionAnswer).session).toMatchObject({
        hostname: 'laptop',
        platform: 'darwin',
        user: 'ada',
      });
    });

    it("writes the caller's request id into the event's meta and echoes it", async () => {
      const { send, workDir, log } = openApp();
      const response = await send(
        'POST',
        '/api/sessions',
        { cwd: workDir },
        { 'x-request-id': 'trace-42' },
      );
      expect(response.headers.get('x-request-id')).toBe('trace-42');
      const [event] = await log.store.read();
      expect(event?.meta.requestId).toBe('trace-42');
    });

    it('replaces a request id that could corrupt a log line with a fresh one', async () => {
      const { send, workDir, log } = openApp();
      const response = await send(
        'POST',
        '/api/sessions',
        { cwd: workDir },
        { 'x-request-id': 'a b"<script>' },
      );
      const echoed = response.headers.get('x-request-id');
      expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
      expect((await log.store.read())[0]?.meta.requestId).toBe(echoed);
    });

    it('refuses an unknown field, naming it, instead of dropping it', async () => {
      const { send, refused, workDir } = openApp();
      const problem = await refused(400, () =>
        send('POST', '/api/sessions', { cwd: workDir, colour: 'red' }),
      );
      expect(problem.errors).toEqual([{ path: 'colour', message: 'is not a known field' }]);
    });

    it('refuses a missing cwd and fields of the wrong type, naming each', async () => {
      const { send, refused } = openApp();
      const problem = await refused(400, () => send('POST', '/api/sessions', { name: 7 }));
      expect(problem.errors?.map((e) => e.path).sort()).toEqual(['cwd', 'name']);
    });

    it('refuses a body that is not JSON', async () => {
      const { request, refused } = openApp();
      const problem = await refused(400, () =>
        request('/api/sessions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"cwd": ',
        }),
      );
      expect(problem.detail).toMatch(/not valid JSON/);
    });

    it('refuses a POST without a body', async () => {
      const { request, refused } = openApp();
      await refused(400, () => request('/api/sessions', { method: 'POST' }));
    });
  });

  describe('GET /api/sessions', () => {
    it('lists the sessions newest first with the position the table reflects', async () => {
      const { request, start } = openApp();
      const first = await start({ name: 'first' });
      const second = await start({ name: 'second' });
      const response = await request('/api/sessions');
      const body = (await response.json()) as { sessions: SessionAnswer['session'][] };
      expect(body).toMatchObject({ position: 2 });
      expect(body.sessions.map((s) => s.id)).toEqual([second, first]);
      expect(body.sessions[0]).not.toHaveProperty('deletedAt');
    });

    it('filters by status and leaves deleted sessions out', async () => {
      const { request, send, start } = openApp();
      const working = await start();
      const gone = await start();
      await start();
      await send('PATCH', `/api/sessions/${working}`, { status: 'in_progress' });
      await send('DELETE', `/api/sessions/${gone}`);
      const list = async (query: string) =>
        ((await (await request(`/api/sessions${query}`)).json()) as { sessions: { id: string }[] })
          .sessions;
      expect((await list('?status=in_progress')).map((s) => s.id)).toEqual([working]);
      expect(await list('')).toHaveLength(2);
    });

    it('shows the table as it was right after a past position (asOf)', async () => {
      const { request, send, start } = openApp();
      const id = await start({ name: 'old' });
      await send('PATCH', `/api/sessions/${id}`, { name: 'new' });
      const body = (await (await request('/api/sessions?asOf=1')).json()) as {
        sessions: { name: string }[];
        position: number;
      };
      expect(body.position).toBe(1);
      expect(body.sessions.map((s) => s.name)).toEqual(['old']);
      const empty = await request('/api/sessions?asOf=0');
      expect(await empty.json()).toEqual({ sessions: [], position: 0 });
    });

    it('refuses an asOf beyond the head or not an integer, and an unknown status', async () => {
      const { request, refused, start } = openApp();
      await start();
      for (const query of ['asOf=2', 'asOf=-1', 'asOf=1.5', 'asOf=x', 'asOf=']) {
        const problem = await refused(400, () => request(`/api/sessions?${query}`));
        expect(problem.errors).toEqual([{ path: 'asOf', message: expect.any(String) }]);
      }
      const problem = await refused(400, () => request('/api/sessions?status=running'));
      expect(problem.errors?.[0]?.path).toBe('status');
    });
  });

  describe('GET /api/sessions/:id', () => {
    it('answers the session and the position it reflects', async () => {
      const { request, start } = openApp();
      const id = await start({ name: 'one' });
      const response = await request(`/api/sessions/${id}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        session: { id, name: 'one', version: 1 },
        position: 1,
      });
    });

    it('answers 404 for a session that never existed and 410 for a deleted one', async () => {
      const { request, refused, send, start } = openApp();
      await refused(404, () => request('/api/sessions/session-nope'));
      const id = await start();
      await send('DELETE', `/api/sessions/${id}`);
      await refused(410, () => request(`/api/sessions/${id}`));
    });
  });

  describe('PATCH /api/sessions/:id', () => {
    it('renames, summarizes and moves a session on', async () => {
      const { send, start, log } = openApp();
      const id = await start();
      const response = await send('PATCH', `/api/sessions/${id}`, {
        name: 'n',
        summary: 's',
        status: 'in_progress',
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        session: expect.objectContaining({ name: 'n', summary: 's', status: 'in_progress' }),
        position: await log.store.head(),
      });
    });

    it('ends the session with completed, answering the position of its last event', async () => {
      const { send, start, log } = openApp();
      const id = await start();
      const response = await send('PATCH', `/api/sessions/${id}`, {
        name: 'done',
        status: 'completed',
      });
      const body = (await response.json()) as SessionAnswer;
      expect(body.session).toMatchObject({ name: 'done', status: 'completed', version: 3 });
      expect(body.session.endedAt).toEqual(expect.any(String));
      expect(body.position).toBe(3);
      expect((await log.store.read()).map((e) => e.type)).toEqual([
        'SessionStarted',
        'SessionUpdated',
        'SessionEnded',
      ]);
    });

    it('answers 409 on an ended session, 410 on a deleted one, 404 on an unknown one', async () => {
      const { send, start, refused } = openApp();
      const ended = await start();
      await send('PATCH', `/api/sessions/${ended}`, { status: 'failed' });
      await refused(409, () => send('PATCH', `/api/sessions/${ended}`, { name: 'late' }));
      const deleted = await start();
      await send('DELETE', `/api/sessions/${deleted}`);
      await refused(410, () => send('PATCH', `/api/sessions/${deleted}`, { name: 'late' }));
      await refused(404, () => send('PATCH', '/api/sessions/session-nope', { name: 'x' }));
    });

    it('applies the change when If-Match names the current version, in any usual spelling', async () => {
      const { send, start } = openApp();
      const id = await start();
      for (const [i, ifMatch] of ['1', '"2"', 'W/"3"'].entries()) {
        const response = await send(
          'PATCH',
          `/api/sessions/${id}`,
          { name: `v${i}` },
          { 'if-match': ifMatch },
        );
        expect(response.status).toBe(200);
      }
    });

    it('answers 412 when someone else changed the session since the If-Match version', async () => {
      const { send, start, refused } = openApp();
      const id = await start();
      await send('PATCH', `/api/sessions/${id}`, { name: 'theirs' });
      const problem = await refused(412, () =>
        send('PATCH', `/api/sessions/${id}`, { name: 'mine' }, { 'if-match': '"1"' }),
      );
      expect(problem).toMatchObject({ currentVersion: 2 });
    });

    it('refuses an If-Match that is not a version', async () => {
      const { send, start, refused } = openApp();
      const id = await start();
      const problem = await refused(400, () =>
        send('PATCH', `/api/sessions/${id}`, { name: 'x' }, { 'if-match': 'v1' }),
      );
      expect(problem.errors?.[0]?.path).toBe('If-Match');
    });

    it('refuses an empty patch, an unknown status and an unknown field', async () => {
      const { send, start, refused } = openApp();
      const id = await start();
      await refused(400, () => send('PATCH', `/api/sessions/${id}`, {}));
      const pending = await refused(400, () =>
        send('PATCH', `/api/sessions/${id}`, { status: 'pending' }),
      );
      expect(pending.errors?.[0]?.path).toBe('status');
      const unknown = await refused(400, () =>
        send('PATCH', `/api/sessions/${id}`, { name: 'x', reason: 'x' }),
      );
      expect(unknown.errors).toEqual([{ path: 'reason', message: 'is not a known field' }]);
    });
  });

  describe('DELETE /api/sessions/:id', () => {
    it('deletes with or without a reason and answers the position of the deletion', async () => {
      const { request, send, start, log } = openApp();
      const plain = await start();
      const response = await request(`/api/sessions/${plain}`, { method: 'DELETE' });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ position: 2 });
      const reasoned = await start();
      await send('DELETE', `/api/sessions/${reasoned}`, { reason: 'test run' });
      expect((await log.store.read()).at(-1)).toMatchObject({
        type: 'SessionDeleted',
        data: { reason: 'test run' },
      });
    });

    it('answers 410 for a session already deleted and 404 for an unknown one', async () => {
      const { request, start, refused } = openApp();
      const id = await start();
      await request(`/api/sessions/${id}`, { method: 'DELETE' });
      await refused(410, () => request(`/api/sessions/${id}`, { method: 'DELETE' }));
      await refused(404, () => request('/api/sessions/session-nope', { method: 'DELETE' }));
    });
  });

  describe('GET /api/sessions/:id/events', () => {
    it("pages through the session's own stream with after, limit and next", async () => {
      const { request, send, start } = openApp();
      const id = await start();
      await start();
      await send('PATCH', `/api/sessions/${id}`, { name: 'a' });
      await send('PATCH', `/api/sessions/${id}`, { name: 'b' });
      const page = async (query: string) =>
        (await (await request(`/api/sessions/${id}/events${query}`)).json()) as {
          events: { position: number; stream: string }[];
          next: number;
        };
      const first = await page('?limit=2');
      expect(first.events.map((e) => e.position)).toEqual([1, 3]);
      expect(first.next).toBe(3);
      const second = await page(`?after=${first.next}&limit=2`);
      expect(second.events.map((e) => e.position)).toEqual([4]);
      const last = await page(`?after=${second.next}`);
      expect(last).toEqual({ events: [], next: 4 });
    });

    it("keeps a deleted session's history readable for auditors", async () => {
      const { request, start } = openApp();
      const id = await start();
      await request(`/api/sessions/${id}`, { method: 'DELETE' });
      const body = (await (await request(`/api/sessions/${id}/events`)).json()) as {
        events: { type: string }[];
      };
      expect(body.events.map((e) => e.type)).toEqual(['SessionStarted', 'SessionDeleted']);
    });

    it('answers 404 for an unknown session and 400 for a limit out of range', async () => {
      const { request, start, refused } = openApp();
      await refused(404, () => request('/api/sessions/session-nope/events'));
      const id = await start();
      for (const limit of ['0', '10001', 'ten']) {
        const problem = await refused(400, () =>
          request(`/api/sessions/${id}/events?limit=${limit}`),
        );
        expect(problem.errors?.[0]?.path).toBe('limit');
      }
    });
  });
});
