import { describe, expect, it } from 'vitest';
import { useApp } from './support/http-app.js';

const TOKEN = 's3cret-token';

describe('the security guard', () => {
  const openApp = useApp();

  describe('Host (DNS rebinding)', () => {
    it('refuses a page on evil.example rebinding its name to 127.0.0.1', async () => {
      const { request, refused } = openApp();
      // The browser connects to 127.0.0.1 but still names the attacker's host.
      for (const path of ['/api/health', '/api/sessions', '/']) {
        await refused(403, () => request(path, { headers: { host: 'evil.example:3001' } }));
      }
    });

    it('refuses the rebinding page before it can create a session', async () => {
      const { send, refused, workDir } = openApp();
      const problem = await refused(403, () =>
        send('POST', '/api/sessions', { cwd: workDir }, { host: 'evil.example' }),
      );
      expect(problem.type).toMatch(/host/);
    });

    it('answers loopback names, the bound host and an allowed origin’s host', async () => {
      const { request } = openApp({
        policy: {
          boundHost: '192.168.1.20',
          allowedOrigins: ['https://dash.example.com'],
          token: undefined,
        },
      });
      for (const host of [
        'localhost:3001',
        '127.0.0.1:3001',
        '[::1]:3001',
        '192.168.1.20:3001',
        'dash.example.com',
      ]) {
        expect((await request('/api/health', { headers: { host } })).status, host).toBe(200);
      }
    });

    it('gives each Host the same answer however often and among however many it is asked', async () => {
      const { request } = openApp();
      const status = async (host: string) =>
        (await request('/api/health', { headers: { host } })).status;
      // More made-up names than the guard keeps verdicts for, the same two asked between them.
      for (let i = 0; i < 150; i++) {
        expect(await status(`evil-${i}.example`)).toBe(403);
        if (i % 10 === 0) {
          expect(await status('localhost:3001')).toBe(200);
          expect(await status('evil-0.example')).toBe(403);
        }
      }
    });
  });

  describe('Origin (cross-site writes)', () => {
    it('refuses a cross-site form POST', async () => {
      const { request, refused, workDir } = openApp();
      await refused(403, () =>
        request('/api/sessions', {
          method: 'POST',
          headers: {
            origin: 'https://evil.example',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: `cwd=${encodeURIComponent(workDir)}`,
        }),
      );
    });

    it('refuses a cross-site JSON POST, PATCH and DELETE, leaving the session as it was', async () => {
      const { send, refused, start, request, workDir } = openApp();
      const id = await start({ name: 'mine' });
      const evil = { origin: 'https://evil.example' };
      await refused(403, () => send('POST', '/api/sessions', { cwd: workDir }, evil));
      await refused(403, () => send('PATCH', `/api/sessions/${id}`, { name: 'pwned' }, evil));
      await refused(403, () => send('DELETE', `/api/sessions/${id}`, undefined, evil));
      expect(await (await request(`/api/sessions/${id}`)).json()).toMatchObject({
        session: { name: 'mine', version: 1 },
      });
    });

    it('refuses the opaque origin of a sandboxed iframe (Origin: null)', async () => {
      const { send, refused, workDir } = openApp();
      await refused(403, () => send('POST', '/api/sessions', { cwd: workDir }, { origin: 'null' }));
    });

    it("takes writes from the server's own origin, an --allow-origin, and clients that send none", async () => {
      const { send, workDir } = openApp({
        policy: { boundHost: '127.0.0.1', allowedOrigins: ['https://dash.example.com'] },
      });
      const allowed: Record<string, string>[] = [
        { host: '127.0.0.1:3001', origin: 'http://127.0.0.1:3001' },
        { host: '127.0.0.1:3001', origin: 'https://dash.example.com' },
        { host: '127.0.0.1:3001' },
      ];
      for (const headers of allowed) {
        const response = await send('POST', '/api/sessions', { cwd: workDir }, headers);
        expect(response.status, JSON.stringify(headers)).toBe(201);
      }
    });

    it('lets a foreign origin read (the browser keeps the answer from it: no CORS)', async () => {
      const { request } = openApp();
      const response = await request('/api/health', {
        headers: { origin: 'https://evil.example' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('token', () => {
    const withToken = { policy: { token: TOKEN, allowedOrigins: [], boundHost: '127.0.0.1' } };

    it('refuses the API without the token, with WWW-Authenticate: Bearer', async () => {
      const { request, refused } = openApp(withToken);
      for (const path of ['/api/health', '/api/sessions', '/api/events']) {
        const problem = await refused(401, () => request(path));
        expect(problem.headers.get('www-authenticate')).toBe('Bearer');
      }
    });

    it('refuses a wrong token, and a token in the query string (it would end up in logs)', async () => {
      const { request, refused } = openApp(withToken);
      await refused(401, () =>
        request('/api/health', { headers: { authorization: 'Bearer wrong-token!' } }),
      );
      await refused(401, () => request(`/api/health?token=${TOKEN}`));
    });

    it('refuses a write without the token before it reaches the log', async () => {
      const { send, refused, workDir } = openApp(withToken);
      await refused(401, () => send('POST', '/api/sessions', { cwd: workDir }));
    });

    it('answers the API with the bearer token', async () => {
      const { request } = openApp(withToken);
      const response = await request('/api/health', {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.status).toBe(200);
    });

    it('serves the dashboard page without the token: it is where the token comes in', async () => {
      const { request } = openApp(withToken);
      const response = await request('/?token=whatever');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('/api/health');
    });
  });

  it('serves a given dashboard at GET /', async () => {
    const { request } = openApp({ dashboard: (c) => c.html('the dashboard') });
    expect(await (await request('/')).text()).toBe('the dashboard');
  });

  it('answers an unknown route with a problem+json 404 and the request id', async () => {
    const { request, refused } = openApp();
    const problem = await refused(404, () =>
      request('/api/nothing', { headers: { 'x-request-id': 'r-1' } }),
    );
    expect(problem.headers.get('x-request-id')).toBe('r-1');
  });
});
