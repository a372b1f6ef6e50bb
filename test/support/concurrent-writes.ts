import { Agent, request } from 'node:http';
import type { RunningServer } from '../../src/server.js';

/** Appends `total` single-event appends from `writers` concurrent writers. */
export async function writeConcurrently(
  server: () => RunningServer,
  total: number,
  writers = 20,
): Promise<void> {
  let left = total;
  await Promise.all(
    Array.from({ length: writers }, async (_, n) => {
      const stream = `session-writer-${n}`;
      await server().log.store.append(stream, [
        { type: 'SessionStarted', data: { cwd: '/tmp', hostname: 'h', platform: 'linux' } },
      ]);
      left--;
      while (left > 0) {
        left--;
        await server().log.store.append(stream, [
          { type: 'FileChanged', data: { change: 'modified', path: `f${left}`, kind: 'file' } },
        ]);
      }
    }),
  );
}

export interface Write {
  port: number;
  method: 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

/**
 * Sends every write on a connection of its own, opened beforehand, all in one tick: they reach
 * the server together instead of trickling in behind their TCP handshakes. Resolves with each
 * answer's status, in the order given.
 */
export async function writeAtOnce(writes: readonly Write[]): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const call = (write: Pick<Write, 'port' | 'method' | 'path' | 'body'>) =>
    new Promise<number>((resolve, reject) => {
      const payload = write.body === undefined ? '' : JSON.stringify(write.body);
      const req = request(
        {
          host: '127.0.0.1',
          port: write.port,
          method: write.method,
          path: write.path,
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.setTimeout(15_000, () =>
        req.destroy(new Error(`${write.method} ${write.path}: no answer`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  try {
    // One request per connection, all at once, leaves that many idle connections in the agent.
    await Promise.all(
      writes.map(({ port }) => call({ port, method: 'GET' as never, path: '/api/health' })),
    );
    return await Promise.all(writes.map(call));
  } finally {
    agent.destroy();
  }
}
