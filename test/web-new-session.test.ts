import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { createApi } from '../web/src/api/client.js';
import { type FormErrors, NewSessionModel } from '../web/src/models/new-session-model.js';
import { useServers } from './support/server.js';
import { useTempDir } from './support/temp-dir.js';
import { engineFor } from './support/web-engine.js';

/** The "New session" form against a real server: each refusal, where it is shown, in words. */
describe('the new session form', () => {
  const startServer = useServers();
  const workDir = useTempDir();

  async function head(server: RunningServer): Promise<number> {
    const response = await fetch(`${server.url}/api/health`);
    return ((await response.json()) as { head: number }).head;
  }

  /** Submits the form through the dashboard's own API client; what it shows, and what opened. */
  async function submit(
    server: RunningServer,
    fields: { cwd: string; name?: string },
    headers: Record<string, string> = {},
  ): Promise<{ errors: FormErrors; opened: string[] }> {
    const opened: string[] = [];
    const api = createApi({
      baseUrl: server.url,
      fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, ...headers } }),
    });
    const model = new NewSessionModel({
      api,
      engine: engineFor(server.url).engine,
      opened: (id) => opened.push(id),
    });
    model.cwd.value = fields.cwd;
    model.name.value = fields.name ?? '';
    await model.submit();
    return { errors: model.errors.value, opened };
  }

  it('explains each refused directory at the directory field, and appends nothing', async () => {
    // The server compares realpaths: /tmp may be a link.
    const root = join(realpathSync(workDir()), 'root');
    const outside = join(realpathSync(workDir()), 'outside');
    for (const dir of [root, outside]) mkdirSync(dir);
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    const server = await startServer({ db: ':memory:', roots: [root] });
    const before = await head(server);

    const refusals: [string, string][] = [
      [join(root, 'not/there'), 'No directory exists at this path on the server.'],
      [file, 'This path is a file, not a directory.'],
      ['projects/relative', 'Enter an absolute path: one that starts with /.'],
      ['/etc', '/etc is a system directory: sessions cannot run there.'],
      // A directory that holds a system directory is refused too: said as the server says it.
      ['/var', '/var contains a system directory (/var/log): sessions cannot run there.'],
      ['/', 'Sessions cannot run in the root directory (/).'],
      [outside, `${outside} is outside the directories this server accepts (its --root folders).`],
    ];
    for (const [cwd, message] of refusals) {
      expect(await submit(server, { cwd }), cwd).toEqual({ errors: { cwd: message }, opened: [] });
    }
    expect(await head(server)).toBe(before);
    // The same form, a directory the server accepts: nothing to explain.
    const started = await submit(server, { cwd: root });
    expect(started.errors).toEqual({});
    expect(started.opened).toHaveLength(1);
  });

  it('puts a bad name at the name field, not the directory', async () => {
    const server = await startServer({ db: ':memory:' });
    const { errors } = await submit(server, { cwd: workDir(), name: 'n'.repeat(201) });
    expect(errors.cwd).toBeUndefined();
    expect(errors.name).toMatch(/^The name .+\.$/);
  });

  it('shows a refused Origin for the whole form: it is about the page, not the directory', async () => {
    const server = await startServer({ db: ':memory:' });
    const { errors } = await submit(
      server,
      { cwd: workDir() },
      { origin: 'https://elsewhere.example' },
    );
    expect(errors).toEqual({ form: 'A request from this Origin may not change anything.' });
  });
});
