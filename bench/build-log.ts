import type { SessionEvent } from '../src/events/schemas.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';

export interface LogShape {
  sessions: number;
  /** A SessionStarted, then FileChanged events; one append per session (at most 1000). */
  eventsPerSession: number;
  /** Appends in flight at once, so that group commit puts several in each transaction. */
  inFlight: number;
}

/**
 * Fills `file` with a log of `sessions × eventsPerSession` events through the store, with
 * durability `normal`. Returns how many events it appended and in how many milliseconds.
 */
export async function buildLog(
  file: string,
  shape: LogShape,
): Promise<{ events: number; ms: number }> {
  const events: SessionEvent[] = [
    { type: 'SessionStarted', data: { cwd: '/bench', hostname: 'bench', platform: 'linux' } },
    ...Array.from(
      { length: shape.eventsPerSession - 1 },
      (): SessionEvent => ({
        type: 'FileChanged',
        data: { change: 'modified', path: 'src/a.ts', kind: 'file' },
      }),
    ),
  ];
  const log = openSessionlog({ db: file, durability: 'normal' });
  try {
    let next = 0;
    const started = performance.now();
    // A pool of workers, each appending one whole session at a time.
    await Promise.all(
      Array.from({ length: shape.inFlight }, async () => {
        for (let i = next++; i < shape.sessions; i = next++) {
          const id = `session-${String(i).padStart(6, '0')}`;
          await log.store.append(id, events, { expectedVersion: 'no-stream' });
        }
      }),
    );
    const ms = performance.now() - started;
    return { events: await log.store.head(), ms };
  } finally {
    await log.close();
  }
}
