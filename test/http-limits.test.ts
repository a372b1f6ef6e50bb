import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useApp } from './support/http-app.js';
import { useServers } from './support/server.js';

const KIB = 1024;

/** A body that arrives in chunks without a Content-Length (Transfer-Encoding: chunked). */
function chunked(total: number, chunk = 8 * KIB): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const size = Math.min(chunk, total - sent);
      controller.enqueue(new Uint8Array(size).fill(0x20));
      sent += size;
    },
  });
}

describe('request limits', () => {
  const openApp = useApp();

  describe('bodies over 64 KiB (413)', () => {
    it('refuses one announced by its Content-Length before reading it', async () => {
      const { request, refused } = openApp();
      await refused(413, () =>
        request('/api/sessions', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(65 * KIB) },
          body: '{}',
        }),
      );
    });

    it('refuses a chunked one without a Content-Length as it arrives', async () => {
      const { request, refused } = openApp();
      await refused(413, () =>
        request('/api/sessions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: chunked(65 * KIB),
          duplex: 'half',
        } as RequestInit),
      );
    });

    it('takes exactly 64 KiB and refuses one byte more', async () => {
      const { request, refused } = openApp();
      // Valid JSON padded with white space: only the size can make it fail.
      const padded = (size: number) => {
        const json = '{"name":"n"}';
        return json + ' '.repeat(size - json.length);
      };
      const patch = (body: string) =>
        request('/api/sessions/session-nope', {
          method: 'PATCH',
          headers: { 'content-type': 'application/json' },
          body,
        });
      // Read and parsed: the unknown session is what answers.
      await refused(404, () => patch(padded(64 * KIB)));
      await refused(413, () => patch(padded(64 * KIB + 1)));
    });

    it('refuses one whose Content-Length understates it', async () => {
      const { request, refused } = openApp();
      await refused(413, () =>
        request('/api/sessions', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': '2' },
          body: `{}${' '.repeat(65 * KIB)}`,
        }),
      );
    });
  });

  describe('JSON only (415)', () => {
    it('refuses a form post, plain text and a body without a Content-Type', async () => {
      const { request, refused, workDir } = openApp();
      const refusedTypes: Record<string, string>[] = [
        { 'content-type': 'application/x-www-form-urlencoded' },
        { 'content-type': 'text/plain' },
        {},
      ];
      for (const headers of refusedTypes) {
        await refused(415, () =>
          request('/api/sessions', {
            method: 'POST',
            headers,
            body: JSON.stringify({ cwd: workDir }),
          }),
        );
      }
    });

    it('refuses JSON declared in another charset than UTF-8', async () => {
      const { request, refused, workDir } = openApp();
      await refused(415, () =>
        request('/api/sessions', {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=latin1' },
          body: JSON.stringify({ cwd: workDir }),
        }),
      );
    });

    it('takes application/json with a UTF-8 charset', async () => {
      const { request, workDir } = openApp();
      const response = await request('/api/sessions', {
        method: 'POST',
        headers: { 'content-type': 'Application/JSON; charset=UTF-8' },
        body: JSON.stringify({ cwd: workDir }),
      });
      expect(response.status).toBe(201);
    });

    it('refuses a DELETE whose body is not JSON but takes one with no body', async () => {
      const { request, refused, start } = openApp();
      const id = await start();
      await refused(415, () =>
        request(`/api/sessions/${id}`, {
          method: 'DELETE',
          headers: { 'content-type': 'text/plain' },
          body: 'because',
        }),
      );
      expect((await request(`/api/sessions/${id}`, { method: 'DELETE' })).status).toBe(200);
    });
  });

  it('refuses a body that is not valid UTF-8 (400)', async () => {
    const { request, refused } = openApp();
    await refused(400, () =>
      request('/api/sessions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]),
      }),
    );
  });

  describe('session creations per client (429)', () => {
    it('refuses creations past --create-rate with a Retry-After in whole seconds', async () => {
      const { send, refused, workDir } = openApp({ createRate: 2 });
      for (let i = 0; i < 2; i++) {
        expect((await send('POST', '/api/sessions', { cwd: workDir })).status).toBe(201);
      }
      const problem = await refused(429, () => send('POST', '/api/sessions', { cwd: workDir }));
      const retryAfter = problem.headers.get('retry-after') ?? '';
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    });

    it('counts each client on its own', async () => {
      const { send, workDir } = openApp({
        createRate: 1,
        clientKey: (c) => c.req.header('x-client') ?? 'anonymous',
      });
      const post = (client: string) =>
        send('POST', '/api/sessions', { cwd: workDir }, { 'x-client': client });
      expect((await post('a')).status).toBe(201);
      expect((await post('a')).status).toBe(429);
      expect((await post('b')).status).toBe(201);
    });

    it('does not limit the other writes', async () => {
      const { send, start } = openApp({ createRate: 1 });
      const id = await start();
      for (let i = 0; i < 3; i++) {
        expect((await send('PATCH', `/api/sessions/${id}`, { name: `n${i}` })).status).toBe(200);
      }
    });
  });

  // Served by Node, the body is read from its request, not through the adapter (json-body.ts):
  // the same refusals over a real socket.
  describe('over a real socket', () => {
    const serve = useServers();
    const dirs: string[] = [];
    afterEach(() => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    });
    const started = async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sessionlog-limits-'));
      dirs.push(dir);
      const server = await serve({ db: join(dir, 'log.db') });
      /** A POST whose body is written in `chunks` (chunked, no Content-Length, unless given). */
      const post = (path: string, chunks: Uint8Array[], headers: Record<string, string> = {}) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = httpRequest(`${server.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
          });
          req.on('response', (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (text: string) => {
              body += text;
            });
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          });
          // A refusal before the whole body is sent may reset the rest of it.
          req.on('error', reject);
          for (const chunk of chunks) req.write(chunk);
          req.end();
        });
      return { server, dir, post };
    };
    const text = (value: string) => new TextEncoder().encode(value);

    it('takes a JSON body, whole or in chunks, and appends once', async () => {
      const { server, dir, post } = await started();
      const json = JSON.stringify({ cwd: dir, name: 'über' });
      const whole = await post('/api/sessions', [text(json)], {
        'content-length': String(Buffer.byteLength(json)),
      });
      expect(whole.status).toBe(201);
      const bytes = text(json);
      const pieces = [bytes.subarray(0, 5), bytes.subarray(5, 24), bytes.subarray(24)];
      const chunked = await post('/api/sessions', pieces);
      expect(chunked.status).toBe(201);
      expect(JSON.parse(chunked.body).session.name).toBe('über');
      expect(await server.log.store.head()).toBe(2);
    });

    it('takes exactly 64 KiB in chunks and refuses one byte more (413), appending nothing', async () => {
      const { server, dir, post } = await started();
      const padded = (size: number) => {
        const json = JSON.stringify({ cwd: dir });
        return text(json + ' '.repeat(size - json.length));
      };
      const split = (bytes: Uint8Array) => [bytes.subarray(0, 40 * KIB), bytes.subarray(40 * KIB)];
      expect((await post('/api/sessions', split(padded(64 * KIB)))).status).toBe(201);
      const over = await post('/api/sessions', split(padded(64 * KIB + 1)));
      expect(over.status).toBe(413);
      expect(JSON.parse(over.body).type).toMatch(/content-too-large$/);
      expect(await server.log.store.head()).toBe(1);
    });

    it('refuses a chunked body as soon as it passes 64 KiB, before it ends (413)', async () => {
      const { server } = await started();
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${server.url}/api/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        });
        req.on('response', (response) => {
          resolve(response.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', reject);
        // 65 KiB and no end: only a count as the bytes arrive can answer.
        req.write(' '.repeat(65 * KIB));
      });
      expect(status).toBe(413);
      expect(await server.log.store.head()).toBe(0);
    });

    it('refuses bytes that are not UTF-8 (400), appending nothing', async () => {
      const { server, post } = await started();
      // An overlong encoding of '/' (C0 AF) inside a string: JSON-shaped, not UTF-8.
      const bad = new Uint8Array([...text('{"cwd":"'), 0xc0, 0xaf, ...text('tmp"}')]);
      const refused = await post('/api/sessions', [bad], { 'content-length': String(bad.length) });
      expect(refused.status).toBe(400);
      expect(refused.body).toContain('not valid UTF-8');
      expect(await server.log.store.head()).toBe(0);
    });

    it('stays up when a client leaves mid-body', async () => {
      const { server, dir, post } = await started();
      await new Promise<void>((resolve) => {
        const req = httpRequest(`${server.url}/api/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': '1000' },
        });
        req.on('error', () => resolve());
        req.write('{"cwd":');
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 50);
      });
      const json = JSON.stringify({ cwd: dir });
      expect((await post('/api/sessions', [text(json)])).status).toBe(201);
      expect(await server.log.store.head()).toBe(1);
    });
  });
});
