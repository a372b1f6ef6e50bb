import type { SessionEvent } from '../src/events/schemas.js';
import type { Durability } from '../src/events/store.js';
import type { Sessionlog } from '../src/sessions/sessionlog.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';

/**
 * `store`: `log.store.append` with expectedVersion 'any', the pure store figure.
 * `commands`: `log.commands.recordFileChange`, which also loads the session and decides.
 */
export type AppendPath = 'store' | 'commands';

export interface AppendRound {
  file: string;
  durability: Durability;
  path: AppendPath;
  appenders: number;
  ms: number;
}

const change = { change: 'modified', path: 'a.txt', kind: 'file' } as const;
const fileChanged: SessionEvent = { type: 'FileChanged', data: change };

/**
 * Single-event appends from concurrent appenders, each awaiting its append before issuing the
 * next, through the store as the app builds it. Returns events/s over `ms` milliseconds.
 */
export async function appendRound(round: AppendRound): Promise<number> {
  const log = openSessionlog({ db: round.file, durability: round.durability });
  try {
    return await appendLoad(log, round);
  } finally {
    await log.close();
  }
}

/** The load of `appendRound` on a log already open (SQLite or PostgreSQL): events/s. */
export async function appendLoad(
  log: Sessionlog,
  round: Pick<AppendRound, 'path' | 'appenders' | 'ms'>,
): Promise<number> {
  const sessions = await Promise.all(
    Array.from({ length: round.appenders }, () =>
      log.commands.start({ cwd: '/bench', hostname: 'bench', platform: process.platform }),
    ),
  );
  const appendOne = appender(log, round.path);
  const started = performance.now();
  const deadline = started + round.ms;
  const counts = await Promise.all(
    sessions.map(async ({ session }) => {
      let appended = 0;
      while (performance.now() < deadline) {
        await appendOne(session.id);
        appended++;
      }
      return appended;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return counts.reduce((sum, n) => sum + n, 0) / seconds;
}

function appender(log: Sessionlog, path: AppendPath): (id: string) => Promise<unknown> {
  switch (path) {
    case 'store':
      return (id) => log.store.append(id, [fileChanged], { expectedVersion: 'any' });
    case 'commands':
      return (id) => log.commands.recordFileChange(id, change);
  }
}
