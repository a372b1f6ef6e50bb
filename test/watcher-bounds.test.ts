import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { subscribe } from '../src/testing/subscribe.js';
import { runCli } from './support/cli.js';
import {
  changeOf,
  changes,
  failures,
  LONG,
  settledChanges,
  startSession,
  useWatched,
  watchedSession,
} from './support/watcher.js';

describe('file watching stays within its bounds', () => {
  const kit = useWatched();

  it('watches at most --max-watchers directories; a session past them says it is not watched', async () => {
    const server = await kit.start({ maxWatchers: 1 });
    const [shared, other] = [kit.dir(), kit.dir()];
    const a = await watchedSession(server, shared);
    // A second session in the same directory needs no second watcher.
    const b = await watchedSession(server, shared);
    const c = await startSession(server, other);
    expect(await server.watching.ready(c)).toBe(false);
    const unwatched = await subscribe(server.url, { after: 0, streams: [c] });
    await unwatched.waitFor((events) => failures(events).length === 1, LONG);
    expect(failures(unwatched.events)).toEqual(['not watched: --max-watchers 1 reached']);
    writeFileSync(join(other, 'unseen.txt'), '');
    writeFileSync(join(shared, 'seen.txt'), '');
    await changeOf(a.stream, 'seen.txt');
    await settledChanges(b.stream, shared);
    expect(changes(unwatched.events)).toEqual([]);
    for (const stream of [a.stream, b.stream, unwatched]) await stream.close();
  });

  it('--max-watchers 0 turns watching off', async () => {
    const server = await kit.start({ maxWatchers: 0 });
    const cwd = kit.dir();
    const id = await startSession(server, cwd);
    expect(await server.watching.ready(id)).toBe(false);
    writeFileSync(join(cwd, 'unseen.txt'), '');
    // Nothing can be waited for when nothing watches: three debounce windows, then look.
    await sleep(1000);
    expect((await server.log.store.readStream(id)).map((e) => e.type)).toEqual(['SessionStarted']);
  });

  it('serve --max-watchers reaches the server', async () => {
    expect(existsSync('dist/cli/main.js'), 'dist/ is built by `npm test` (npm run build)').toBe(
      true,
    );
    const child = spawn(
      process.execPath,
      ['bin/sessionlog.js', 'serve', '--db', kit.logFile(), '--port', '0', '--max-watchers', '1'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      await lines.next();
      const url = new URL((await lines.next()).value as string).origin;
      const first = await startSession({ url }, kit.dir());
      const second = await startSession({ url }, kit.dir());
      const stream = await subscribe(url, { after: 0, streams: [first, second] });
      await stream.waitFor((events) => failures(events).length === 1, LONG);
      expect(stream.events.find((e) => e.type === 'WatchFailed')).toMatchObject({
        stream: second,
        data: { error: 'not watched: --max-watchers 1 reached' },
      });
      await stream.close();
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('watches at most maxEntries entries, says so once to each session, and keeps what it has', async () => {
    const server = await kit.start({ watch: { maxEntries: 5 } });
    const cwd = kit.dir();
    for (let i = 0; i < 10; i++) writeFileSync(join(cwd, `f${i}.txt`), '');
    const a = await watchedSession(server, cwd);
    await a.stream.waitFor((events) => failures(events).length === 1, LONG);
    const b = await watchedSession(server, cwd);
    await b.stream.waitFor((events) => failures(events).length === 1, LONG);
    for (const stream of [a.stream, b.stream]) {
      expect(failures(stream.events)).toEqual([
        'entry cap: 5 entries are watched, further ones are not',
      ]);
    }
    // Deleting everything frees the places of the five watched: the markers then fit.
    for (let i = 0; i < 10; i++) rmSync(join(cwd, `f${i}.txt`));
    const recorded = await settledChanges(a.stream, cwd);
    expect(recorded).toHaveLength(5);
    expect(recorded.every((c) => c.change === 'deleted')).toBe(true);
    expect(failures(a.stream.events)).toHaveLength(1);
    await a.stream.close();
    await b.stream.close();
  });

  it('records no change under a file name that is not UTF-8, says so once, and the log verifies', async () => {
    const server = await kit.start();
    const cwd = kit.dir();
    const { stream } = await watchedSession(server, cwd);
    const named = (...bytes: number[]) =>
      Buffer.concat([Buffer.from(`${cwd}/`), Buffer.from(bytes)]);
    writeFileSync(named(0x61, 0xff, 0x62), 'one');
    mkdirSync(named(0x64, 0xfe));
    writeFileSync(named(0x61, 0xff, 0x62), 'two');
    writeFileSync(join(cwd, 'plain.txt'), '');
    const recorded = await settledChanges(stream, cwd);
    expect(recorded).toEqual([{ change: 'created', path: 'plain.txt', kind: 'file' }]);
    expect(failures(stream.events)).toEqual([
      'file names that are not valid UTF-8 are not recorded (first: a\uFFFDb)',
    ]);
    const verified = await runCli('verify', '--db', kit.logFile());
    expect(verified.output).toContain('OK');
    await stream.close();
  });

  it('watches entries at most `depth` levels below the cwd and says so once', async () => {
    const server = await kit.start({ watch: { depth: 1 } });
    const cwd = kit.dir();
    const { stream } = await watchedSession(server, cwd);
    mkdirSync(join(cwd, 'a', 'b', 'c'), { recursive: true });
    writeFileSync(join(cwd, 'a', 'top.txt'), '');
    writeFileSync(join(cwd, 'a', 'b', 'deep.txt'), '');
    writeFileSync(join(cwd, 'a', 'b', 'c', 'deeper.txt'), '');
    const recorded = await settledChanges(stream, cwd);
    expect(recorded.map((c) => c.path).sort()).toEqual(['a', 'a/b', 'a/top.txt']);
    expect(failures(stream.events)).toEqual([
      'depth cap: entries more than 1 level below the cwd are not watched',
    ]);
    await stream.close();
  });
});
