import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { subscribe } from '../src/testing/subscribe.js';
import {
  changeOf,
  changes,
  LONG,
  settledChanges,
  startSession,
  useWatched,
  watchedSession,
} from './support/watcher.js';

describe('file activity', () => {
  const kit = useWatched();

  it('records created, modified and deleted files, and the session row follows', async () => {
    const server = await kit.start();
    const cwd = kit.dir();
    const { id, stream } = await watchedSession(server, cwd);
    writeFileSync(join(cwd, 'notes.md'), 'one');
    await changeOf(stream, 'notes.md', 'created');
    writeFileSync(join(cwd, 'notes.md'), 'two');
    await changeOf(stream, 'notes.md', 'modified');
    rmSync(join(cwd, 'notes.md'));
    await changeOf(stream, 'notes.md', 'deleted');
    expect(changes(stream.events)).toEqual([
      { change: 'created', path: 'notes.md', kind: 'file' },
      { change: 'modified', path: 'notes.md', kind: 'file' },
      { change: 'deleted', path: 'notes.md', kind: 'file' },
    ]);
    const { session } = (await (await fetch(`${server.url}/api/sessions/${id}`)).json()) as {
      session: { fileChanges: number; lastActivityAt: string };
    };
    expect(session.fileChanges).toBe(3);
    expect(session.lastActivityAt).toBe(stream.events.at(-1)?.time);
    await stream.close();
  });

  it('answers the POST before the directory is scanned, and leaves the files already there out', async () => {
    const server = await kit.start();
    const cwd = kit.dir();
    for (let d = 0; d < 30; d++) {
      mkdirSync(join(cwd, `d${d}`));
      for (let f = 0; f < 100; f++) writeFileSync(join(cwd, `d${d}`, `f${f}.txt`), '');
    }
    const id = await startSession(server, cwd);
    const state = await Promise.race([
      server.watching.ready(id).then(() => 'scanned'),
      new Promise((resolve) => setImmediate(() => resolve('still scanning'))),
    ]);
    expect(state).toBe('still scanning');
    expect(await server.watching.ready(id)).toBe(true);
    const stream = await subscribe(server.url, { after: 0, streams: [id] });
    writeFileSync(join(cwd, 'new.txt'), '');
    await changeOf(stream, 'new.txt');
    expect(changes(stream.events)).toEqual([{ change: 'created', path: 'new.txt', kind: 'file' }]);
    await stream.close();
  });

  it('records a rename as the old path deleted and the new one created', async () => {
    const server = await kit.start();
    const cwd = kit.dir();
    writeFileSync(join(cwd, 'draft.txt'), 'text');
    const { stream } = await watchedSession(server, cwd);
    renameSync(join(cwd, 'draft.txt'), join(cwd, 'final.txt'));
    const recorded = await settledChanges(stream, cwd);
    expect(recorded).toHaveLength(2);
    expect(recorded).toEqual(
      expect.arrayContaining([
        { change: 'deleted', path: 'draft.txt', kind: 'file' },
        { change: 'created', path: 'final.txt', kind: 'file' },
      ]),
    );
    await stream.close();
  });

  it('records nested paths relative to the cwd with / separators, directories as kind dir', async () => {
    const server = await kit.start();
    const cwd = kit.dir();
    const { stream } = await watchedSession(server, cwd);
    mkdirSync(join(cwd, 'src', 'lib'), { recursive: true });
    writeFileSync(join(cwd, 'src', 'lib', 'parse.ts'), 'export {}');
    await changeOf(stream, 'src/lib/parse.ts');
    expect(changes(stream.events)).toEqual(
      expect.arrayContaining([
        { change: 'created', path: 'src', kind: 'dir' },
        { change: 'created', path: 'src/lib', kind: 'dir' },
        { change: 'created', path: 'src/lib/parse.ts', kind: 'file' },
      ]),
    );
    rmSync(join(cwd, 'src'), { recursive: true });
    await changeOf(stream, 'src', 'deleted');
    expect(changes(stream.events)).toContainEqual({ change: 'deleted', path: 'src', kind: 'dir' });
    await stream.close();
  });

  it('collapses the changes to one path within the debounce window into their net effect', async () => {
    const server = await kit.start();
    const cwd = kit.dir();
    const { stream } = await watchedSession(server, cwd);
    // created + modified → created; created + deleted → nothing.
    writeFileSync(join(cwd, 'saved.txt'), '1');
    writeFileSync(join(cwd, 'saved.txt'), '12');
    writeFileSync(join(cwd, 'scratch.txt'), '');
    rmSync(join(cwd, 'scratch.txt'));
    expect(await settledChanges(stream, cwd)).toEqual([
      { change: 'created', path: 'saved.txt', kind: 'file' },
    ]);
    await stream.close();
  });

  it('ignores dependency, build, cache, version-control and editor folders and temp files', async () => {
    const server = await kit.start();
    const cwd = kit.dir();
    for (const folder of ['node_modules/pkg', '.git/objects', 'dist', '.vscode', '__pycache__']) {
      mkdirSync(join(cwd, folder), { recursive: true });
    }
    const { stream } = await watchedSession(server, cwd);
    writeFileSync(join(cwd, 'node_modules', 'pkg', 'index.js'), '');
    writeFileSync(join(cwd, '.git', 'objects', 'ab12'), '');
    writeFileSync(join(cwd, 'dist', 'bundle.js'), '');
    writeFileSync(join(cwd, '.vscode', 'settings.json'), '{}');
    writeFileSync(join(cwd, '__pycache__', 'm.pyc'), '');
    mkdirSync(join(cwd, 'coverage'));
    mkdirSync(join(cwd, '.cache'));
    for (const temp of ['.main.ts.swp', 'main.ts~', '.#main.ts'])
      writeFileSync(join(cwd, temp), '');
    writeFileSync(join(cwd, 'main.ts'), '');
    expect(await settledChanges(stream, cwd)).toEqual([
      { change: 'created', path: 'main.ts', kind: 'file' },
    ]);
    await stream.close();
  });

  it('takes the ignore list from the server options', async () => {
    const server = await kit.start({ watch: { ignore: ['secrets', '*.log'] } });
    const cwd = kit.dir();
    const { stream } = await watchedSession(server, cwd);
    mkdirSync(join(cwd, 'secrets'));
    writeFileSync(join(cwd, 'server.log'), '');
    mkdirSync(join(cwd, 'node_modules'));
    expect(await settledChanges(stream, cwd)).toEqual([
      { change: 'created', path: 'node_modules', kind: 'dir' },
    ]);
    await stream.close();
  });

  it('does not follow a symlink out of the cwd', async () => {
    const server = await kit.start();
    const cwd = kit.dir();
    const outside = kit.dir('outside');
    symlinkSync(outside, join(cwd, 'old-link'));
    const { stream } = await watchedSession(server, cwd);
    symlinkSync(outside, join(cwd, 'new-link'));
    await changeOf(stream, 'new-link');
    writeFileSync(join(outside, 'secret.txt'), '');
    mkdirSync(join(outside, 'deeper'));
    // The link itself is an entry of the cwd; what lies behind it is not.
    expect(await settledChanges(stream, cwd)).toEqual([
      { change: 'created', path: 'new-link', kind: 'file' },
    ]);
    await stream.close();
  });

  it('gives each session sharing a directory its own events, and stops for the one that ends', async () => {
    const server = await kit.start();
    const cwd = kit.dir();
    const a = await watchedSession(server, cwd);
    const b = await watchedSession(server, cwd);
    writeFileSync(join(cwd, 'shared.txt'), '');
    await changeOf(a.stream, 'shared.txt');
    await changeOf(b.stream, 'shared.txt');
    const ended = await fetch(`${server.url}/api/sessions/${a.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'completed' }),
    });
    expect(ended.status).toBe(200);
    writeFileSync(join(cwd, 'later.txt'), '');
    expect((await settledChanges(b.stream, cwd)).map((c) => c.path)).toEqual([
      'shared.txt',
      'later.txt',
    ]);
    expect(changes(a.stream.events).map((c) => c.path)).toEqual(['shared.txt']);
    await a.stream.close();
    await b.stream.close();
  });

  it('stops watching a deleted session', async () => {
    const server = await kit.start();
    const gone = kit.dir();
    const kept = kit.dir();
    const a = await watchedSession(server, gone);
    const b = await watchedSession(server, kept);
    expect((await fetch(`${server.url}/api/sessions/${a.id}`, { method: 'DELETE' })).status).toBe(
      200,
    );
    expect(await server.watching.ready(a.id)).toBe(false);
    writeFileSync(join(gone, 'after-delete.txt'), '');
    // Once changes made later in the other directory are recorded, this one would be too.
    await settledChanges(b.stream, kept);
    expect(changes(a.stream.events)).toEqual([]);
    await a.stream.close();
    await b.stream.close();
  });

  it('delivers file changes live over the WebSocket to every subscriber', async () => {
    const server = await kit.start();
    const cwd = kit.dir();
    const id = await startSession(server, cwd);
    await server.watching.ready(id);
    const client = await subscribe(server.url, { types: ['FileChanged'] });
    await client.waitFor((_) => client.frames.some((f) => f.type === 'live'));
    writeFileSync(join(cwd, 'live.txt'), '');
    await client.waitFor((events) => events.length === 1, LONG);
    expect(client.events[0]).toMatchObject({
      type: 'FileChanged',
      stream: id,
      version: 2,
      data: { change: 'created', path: 'live.txt', kind: 'file' },
      meta: { actor: 'sessionlog-watcher' },
    });
    expect(client.events[0]?.position).toBe(await server.log.store.head());
    await client.close();
  });
});
