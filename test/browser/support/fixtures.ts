import { afterEach } from 'vitest';
import type { RunningServer } from '../../../src/server.js';
import type { Session } from '../../../src/sessions/session.js';
import { cuttableProxy } from './tcp-proxy.js';

/** Starts a session through the API, as another tool would; throws unless it was created. */
export async function createSession(
  server: RunningServer,
  body: { cwd: string; name?: string },
): Promise<{ session: Session; position: number }> {
  const response = await fetch(`${server.url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST /api/sessions answered ${response.status}`);
  return (await response.json()) as { session: Session; position: number };
}

/** Cuttable proxies in front of a server's port, closed after each test. */
export function useProxies(): (port: () => number) => ReturnType<typeof cuttableProxy> {
  const proxies: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });
  return async (port) => {
    const proxy = await cuttableProxy(port);
    proxies.push(proxy);
    return proxy;
  };
}
