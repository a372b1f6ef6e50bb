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
