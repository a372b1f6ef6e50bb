import { EventEmitter } from 'node:events';
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FSWatcher } from 'chokidar';
import { describe, expect, it } from 'vitest';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { subscribe } from '../src/testing/subscribe.js';
import { watchSessions } from '../src/watcher/watch-sessions.js';
import {
  changeOf,
  changes,
  committed,
  failures,
  LONG,
  settledChanges,
  startSession,
  useWatched,
  watchedSession,
} from './support/watcher.js';

/** Stands in for chokidar where a real failure is hard to cause (a full inotify table). */
class FakeWatcher extends EventEmitter {
  async close(): Promise<void> {
    // As chokidar does: after close() nobody listens, unless someone listens again.
    this.removeAllListeners();
  }
}

const patch = (url: string, id: string, body: object) =>
  fetch(`${url}/api/sessions/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('file watching when things go wrong', () => {
  const kit = useWatched();

  it('records one WatchFailed when the directory is removed, keeps serving, and resumes once it is back', async () => {
    const server = await kit.start({ watch: { retryFirstMs: 50, retryMaxMs: 200 } });
    const cwd = kit.dir();
    mkdirSync(join(cwd, 'src'));
    writeFileSync(join(cwd, 'src', 'a.ts'), '');
    const { id, stream } = await watchedSession(server, cwd);
    rmSync(cwd, { recursive: true });
    await stream.waitFor((events) => failures(events).length === 1, LONG);
    // Retries after 50, 100, 200, 200 … ms find no directory, again and again.
    await sleep(1000);
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    mkdirSync(cwd);
    expect(await server.watching.ready(id)).toBe(true);
    writeFileSync(join(cwd, 'back.txt'), '');
    await changeOf(stream, 'back.txt');
    expect(failures(stream.events)).toEqual([`directory removed: ${cwd} (retrying with backoff)`]);
    // The one WatchFailed stands for the deletions of what the directory held.
    expect(changes(stream.events)).toEqual([{ change: 'created', path: 'back.txt', kind: 'file' }]);
    await stream.close();
  });

  it('records a system watch limit (ENOSPC) once, retries with growing delays, and never throws', async () => {
    const log = openSessionlog({ db: ':memory:' });
    const made: { watcher: FakeWatcher; at: number }[] = [];
    let wake: () => void = () => {};
    const errors: unknown[] = [];
    const watching = watchSessions({
      ...log,
      options: { retryFirstMs: 40, retryMaxMs: 160, debounceMs: 10 },
      onError: (error) => errors.push(error),
      createWatcher: () => {
        const watcher = new FakeWatcher();
        made.push({ watcher, at: performance.now() });
        wake();
        return watcher as unknown as FSWatcher;
      },
    });
    const next = (count: number) =>
      new Promise<FakeWatcher>((resolve) => {
        wake = () =>
          made.length >= count && resolve((made[count - 1] as { watcher: FakeWatcher }).watcher);
        wake();
      });
    const enospc = Object.assign(new Error('watch /x ENOSPC'), { code: 'ENOSPC' });
    const cwd = kit.dir();
    const { session } = await log.commands.start({ cwd, hostname: 'h', platform: 'linux' });
    for (let attempt = 1; attempt <= 3; attempt++) (await next(attempt)).emit('error', enospc);
    const fourth = await next(4);
    fourth.emit('ready');
    // A watcher already closed may still hear from scans in flight: that must not throw.
    made[0]?.watcher.emit('error', enospc);
    const recorded = committed(log, (events) => events.some((e) => e.type === 'FileChanged'));
    fourth.emit('add', join(cwd, 'after.txt'));
    await recorded;
    const gaps = made.slice(1).map((m, i) => m.at - (made[i] as { at: number }).at);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
    const stream = await log.store.readStream(session.id);
    expect(failures(stream)).toEqual([
      `the system limit on watched files was reached (ENOSPC; on Linux, fs.inotify.max_user_watches) watching ${cwd} (retrying with backoff)`,
    ]);
    expect(changes(stream)).toEqual([{ change: 'created', path: 'after.txt', kind: 'file' }]);
    // Other errors are told once and do not stop a running watcher.
    const noted = committed(log, (events) => events.some((e) => e.type === 'WatchFailed'));
    fourth.emit('error', Object.assign(new Error('ELOOP: too many links'), { code: 'ELOOP' }));
    fourth.emit('error', Object.assign(new Error('ELOOP: too many links'), { code: 'ELOOP' }));
    await noted;
    await watching.close();
    expect(made).toHaveLength(4);
    expect(failures(await log.store.readStream(session.id))).toHaveLength(2);
    expect(errors).toEqual([]);
    await log.close();
  });

  it('resumes watching the active sessions after a restart, and not the ended or deleted ones', async () => {
    const first = await kit.start();
    const [pending, working, ended, deleted] = ['pending', 'working', 'ended', 'deleted'].map(
      (name) => kit.dir(name),
    ) as [string, string, string, string];
    const ids = {
      pending: await startSession(first, pending),
      working: await startSession(first, working),
      ended: await startSession(first, ended),
      deleted: await startSession(first, deleted),
    };
    expect((await patch(first.url, ids.working, { status: 'in_progress' })).status).toBe(200);
    expect((await patch(first.url, ids.ended, { status: 'completed' })).status).toBe(200);
    const gone = await fetch(`${first.url}/api/sessions/${ids.deleted}`, { method: 'DELETE' });
    expect(gone.status).toBe(200);
    await first.close();
    for (const dir of [pending, working, ended, deleted])
      writeFileSync(join(dir, 'offline.txt'), '');

    const second = await kit.start();
    expect(await second.watching.ready(ids.pending)).toBe(true);
    expect(await second.watching.ready(ids.working)).toBe(true);
    expect(await second.watching.ready(ids.ended)).toBe(false);
    expect(await second.watching.ready(ids.deleted)).toBe(false);
    for (const dir of [ended, deleted, pending, working])
      writeFileSync(join(dir, 'online.txt'), '');
    for (const [id, dir] of [
      [ids.pending, pending],
      [ids.working, working],
    ] as const) {
      const stream = await subscribe(second.url, { after: 0, streams: [id] });
      // What changed while nobody watched is not known; what changes now is.
      expect(await settledChanges(stream, dir)).toEqual([
        { change: 'created', path: 'online.txt', kind: 'file' },
      ]);
      await stream.close();
    }
    for (const id of [ids.ended, ids.deleted]) {
      expect(changes(await second.log.store.readStream(id))).toEqual([]);
    }
  });

  it('never reports the log’s own files, even to a session working where the log lives', async () => {
    const server = await kit.start();
    const cwd = realpathSync(dirname(kit.logFile()));
    const { stream } = await watchedSession(server, cwd);
    // Each marker recorded writes to the log; were that seen, it would record again, forever.
    expect(await settledChanges(stream, cwd)).toEqual([]);
    await stream.close();
  });
});
