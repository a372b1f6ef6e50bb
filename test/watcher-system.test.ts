import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemDirectoryRefusal } from '../src/sessions/system-directories.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { subscribe } from '../src/testing/subscribe.js';
import { watchSessions } from '../src/watcher/watch-sessions.js';
import { changes, committed, failures, LONG, useWatched } from './support/watcher.js';

const machine = { hostname: 'h', platform: 'linux' };

describe('file watching and system directories', () => {
  const kit = useWatched();

  it('does not watch a session the log started in /var, which holds system directories', async () => {
    const server = await kit.start();
    // Straight into the log, as under older rules: the HTTP API refuses /var now.
    const { session } = await server.log.commands.start({ cwd: '/var', ...machine });
    const stream = await subscribe(server.url, { after: 0, streams: [session.id] });
    await stream.waitFor((events) => failures(events).length === 1, LONG);
    expect(await server.watching.ready(session.id)).toBe(false);
    expect(failures(stream.events)).toEqual([
      'not watched: /var contains a system directory (/var/log)',
    ]);
    await stream.close();
  });

  it('records nothing from inside a system directory, whatever the cwd the log holds', async () => {
    // A tree that stands for the file system: <fake>/var/log is /var/log to the rules.
    const fake = kit.dir('fake-root');
    for (const dir of ['var/log', 'var/tmp']) mkdirSync(join(fake, dir), { recursive: true });
    const log = openSessionlog({ db: kit.logFile() });
    const watching = watchSessions({
      ...log,
      options: { debounceMs: 20 },
      refusal: (cwd) => systemDirectoryRefusal(cwd.slice(fake.length) || '/', 'linux'),
    });
    try {
      const held = (await log.commands.start({ cwd: join(fake, 'var'), ...machine })).session;
      const beside = (await log.commands.start({ cwd: join(fake, 'var/tmp'), ...machine })).session;
      expect(await watching.ready(held.id)).toBe(false);
      expect(await watching.ready(beside.id)).toBe(true);
      const recorded = committed(log, (events) => changes(events).length > 0);
      writeFileSync(join(fake, 'var/log/syslog'), '');
      writeFileSync(join(fake, 'var/tmp/scratch'), '');
      expect(changes(await recorded)).toEqual([
        { change: 'created', path: 'scratch', kind: 'file' },
      ]);
      // Closing waits for every append under way: whatever was seen is in the log now.
      await watching.close();
      expect(changes(await log.store.readStream(held.id))).toEqual([]);
      expect(failures(await log.store.readStream(held.id))).toEqual([
        'not watched: /var contains a system directory (/var/log)',
      ]);
    } finally {
      await watching.close();
      await log.close();
    }
  });
});
