import { afterEach } from 'vitest';
import { createLogger } from '../../src/observe/logger.js';
import { type RunningServer, runServer, type ServerOptions } from '../../src/server.js';

/** Starts servers on free ports and closes whatever a test left running. */
export function useServers(): (
  options: Partial<ServerOptions> & { db: string },
) => Promise<RunningServer> {
  const running = new Set<RunningServer>();
  afterEach(async () => {
    await Promise.all([...running].map((server) => server.close()));
    running.clear();
  });
  return async (options) => {
    // Watching is off unless a test asks for it: sessions in /tmp must not watch all of /tmp.
    const server = await runServer({
      port: 0,
      createRate: 0,
      maxWatchers: 0,
      logger: createLogger({ level: 'warn' }),
      ...options,
    });
    running.add(server);
    const close = server.close.bind(server);
    server.close = async () => {
      running.delete(server);
      await close();
    };
    return server;
  };
}

/** Appends `count` events to one session through the store, in concurrent batches. */
export async function appendMany(
  server: RunningServer,
  count: number,
  stream = 'session-load',
): Promise<void> {
  const { store } = server.log;
  if ((await store.readStream(stream, { limit: 1 })).length === 0) {
    await store.append(stream, [
      { type: 'SessionStarted', data: { cwd: '/tmp', hostname: 'h', platform: 'linux' } },
    ]);
    count--;
  }
  const change = {
    type: 'FileChanged' as const,
    data: { change: 'modified' as const, path: 'a.txt', kind: 'file' as const },
  };
  const writes: Promise<unknown>[] = [];
  for (let left = count; left > 0; left -= 500) {
    writes.push(
      store.append(
        stream,
        Array.from({ length: Math.min(500, left) }, () => change),
      ),
    );
  }
  await Promise.all(writes);
}
