import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { staticDashboard } from '../src/http/dashboard.js';
import { useApp } from './support/http-app.js';
import { useTempDir } from './support/temp-dir.js';

/** Serving the built dashboard: `/`, its hashed assets, and nothing else from the disk. */
describe('serving the dashboard', () => {
  const openApp = useApp();
  const buildDir = useTempDir();

  function built(): string {
    const dir = join(buildDir(), 'web');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>the built page</title>');
    writeFileSync(join(dir, 'assets', 'index-Ab12_x.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'index-Cd34.css'), 'body{}');
    writeFileSync(join(dir, 'build-inputs.json'), '{"inputs":[]}');
    writeFileSync(join(buildDir(), 'secret.txt'), 'not for the web');
    return dir;
  }

  it('serves the page at / with a strict policy and no caching', async () => {
    const { request } = openApp({ dashboard: staticDashboard(built()) });
    const response = await request('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await response.text()).toContain('the built page');
  });

  it('serves hashed assets with their type, cached for good', async () => {
    const { request } = openApp({ dashboard: staticDashboard(built()) });
    const script = await request('/assets/index-Ab12_x.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await script.text()).toBe('console.log(1)');
    const style = await request('/assets/index-Cd34.css');
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('serves nothing outside the assets, however the path is spelled', async () => {
    const { request } = openApp({ dashboard: staticDashboard(built()) });
    for (const path of [
      '/assets/missing.js',
      '/assets/../secret.txt',
      '/assets/..%2F..%2Fsecret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/.hidden',
      '/assets/',
      '/build-inputs.json',
      '/index.html',
      '/secret.txt',
    ]) {
      const response = await request(path);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(await response.text()).not.toContain('not for the web');
    }
  });

  it('answers the placeholder page while no dashboard is built', async () => {
    const { request } = openApp({ dashboard: staticDashboard(join(buildDir(), 'nothing')) });
    const page = await request('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('not built yet');
    expect((await request('/assets/index.js')).status).toBe(404);
  });

  it('needs no token: the page is where the token comes in', async () => {
    const { request } = openApp({
      policy: { token: 'tok', allowedOrigins: [], boundHost: '127.0.0.1' },
      dashboard: staticDashboard(built()),
    });
    expect((await request('/')).status).toBe(200);
    expect((await request('/assets/index-Ab12_x.js')).status).toBe(200);
    expect((await request('/api/health')).status).toBe(401);
  });
});
