import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useApp } from './support/http-app.js';

const key = (k: string) => ({ 'idempotency-key': k });

describe('Idempotency-Key on the sessions API', () => {
  const openApp = useApp();

  it('answers a repeated POST with the first 201, body and Location, and appends nothing', async () => {
    const { send, workDir, log } = openApp();
    const first = await send('POST', '/api/sessions', { cwd: workDir }, key('create-1'));
    const head = await log.store.head();
    const again = await send('POST', '/api/sessions', { cwd: workDir }, key('create-1'));
    expect(again.status).toBe(201);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(await again.json()).toEqual(await first.json());
    expect(await log.store.head()).toBe(head);
    expect((await log.store.read())[0]?.meta.idempotencyKey).toBe('create-1');
  });

  it('looks a repeated key up once, and a new one once before its append (issue 18)', async () => {
    const { send, workDir, log } = openApp();
    const lookups = vi.spyOn(log.store, 'findIdempotencyKey');
    await send('POST', '/api/sessions', { cwd: workDir }, key('once'));
    expect(lookups).toHaveBeenCalledTimes(1);
    const again = await send('POST', '/api/sessions', { cwd: workDir }, key('once'));
    expect(again.status).toBe(201);
    expect(lookups).toHaveBeenCalledTimes(2);
  });

  it('treats a body with its keys in another order as the same request', async () => {
    const { request, workDir, log } = openApp();
    const post = (body: string) =>
      request('/api/sessions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...key('k') },
        body,
      });
    await post(JSON.stringify({ cwd: workDir, name: 'n' }));
    const again = await post(`{ "name": "n",\n  "cwd": ${JSON.stringify(workDir)} }`);
    expect(again.status).toBe(201);
    expect(await log.store.head()).toBe(1);
  });

  it('replays a creation whose directory has since been removed, and past the rate limit', async () => {
    const { send, workDir, log } = openApp({ createRate: 1 });
    const cwd = join(workDir, 'gone-soon');
    mkdirSync(cwd);
    const first = await send('POST', '/api/sessions', { cwd }, key('retry'));
    rmSync(cwd, { recursive: true });
    const again = await send('POST', '/api/sessions', { cwd }, key('retry'));
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(await first.json());
    expect(await log.store.head()).toBe(1);
  });

  it('answers a repeated PATCH that ended the session as it did the first time, not 409', async () => {
    const { send, start, log } = openApp();
    const id = await start();
    const patch = () =>
      send('PATCH', `/api/sessions/${id}`, { status: 'completed' }, key('finish'));
    const first = await patch();
    const again = await patch();
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(await first.json());
    expect(await log.store.head()).toBe(2);
  });

  it('answers a repeated DELETE with the first position, not 410', async () => {
    const { request, start, log } = openApp();
    const id = await start();
    const remove = () =>
      request(`/api/sessions/${id}`, { method: 'DELETE', headers: key('remove') });
    expect(await (await remove()).json()).toEqual({ position: 2 });
    const again = await remove();
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ position: 2 });
    expect(await log.store.head()).toBe(2);
  });

  it('refuses (422) a key used again with another body or on another session', async () => {
    const { send, start, refused, workDir } = openApp();
    await send('POST', '/api/sessions', { cwd: workDir, name: 'a' }, key('once'));
    await refused(422, () =>
      send('POST', '/api/sessions', { cwd: workDir, name: 'b' }, key('once')),
    );
    const id = await start();
    await refused(422, () => send('PATCH', `/api/sessions/${id}`, { name: 'a' }, key('once')));
  });

  it('refuses a key longer than 200 characters', async () => {
    const { send, refused, workDir } = openApp();
    const problem = await refused(400, () =>
      send('POST', '/api/sessions', { cwd: workDir }, key('k'.repeat(201))),
    );
    expect(problem.errors?.[0]?.path).toBe('Idempotency-Key');
  });
});
