import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../src/testing/index.js';
import { runCli } from './support/cli.js';

const cwd = realpathSync(tmpdir());

describe('sessionlog sessions', () => {
  let server: TestServer | undefined;
  afterEach(() => server?.close());

  /** Three sessions through the API: one renamed, one ended, one deleted. */
  async function history(running: TestServer): Promise<void> {
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const response = await running.fetch('/api/sessions', {
        method: 'POST',
        body: JSON.stringify({ cwd, name }),
      });
      ids.push(((await response.json()) as { session: { id: string } }).session.id);
    }
    const [a, b, c] = ids;
    const patch = (id: string | undefined, body: object) =>
      running.fetch(`/api/sessions/${id}`, { method: 'PATCH', body: JSON.stringify(body) });
    await patch(a, { name: 'renamed' });
    await patch(b, { status: 'completed', summary: 'done' });
    await running.fetch(`/api/sessions/${c}`, { method: 'DELETE' });
  }

  it('prints, from the file and from the server, what GET /api/sessions?asOf answers, byte for byte', async () => {
    server = await startServer({ db: 'temporary', token: 't0ken' });
    await history(server);
    const head = await server.head();
    for (let position = 0; position <= head; position++) {
      for (const status of [undefined, 'completed']) {
        const query = `asOf=${position}${status === undefined ? '' : `&status=${status}`}`;
        const http = await (await server.fetch(`/api/sessions?${query}`)).text();
        const flags = [
          '--as-of',
          String(position),
          ...(status === undefined ? [] : ['--status', status]),
        ];
        const fromFile = await runCli('sessions', '--db', server.db, ...flags);
        const fromServer = await runCli(
          'sessions',
          '--url',
          server.url,
          '--token',
          't0ken',
          ...flags,
        );
        expect(fromFile, query).toEqual({ code: 0, output: http, data: '' });
        expect(fromServer, query).toEqual({ code: 0, output: http, data: '' });
      }
    }
    // Without --as-of: the table now, folded from the log.
    const now = await (await server.fetch('/api/sessions')).text();
    expect((await runCli('sessions', '--db', server.db)).output).toBe(now);
  });

  it('refuses a position beyond the head, or that is no position', async () => {
    server = await startServer({ db: 'temporary' });
    await history(server);
    const beyond = await runCli('sessions', '--db', server.db, '--as-of', '99');
    expect(beyond).toMatchObject({
      code: 2,
      output: expect.stringContaining("beyond the log's head (6)"),
    });
    const http = await runCli('sessions', '--url', server.url, '--as-of', '99');
    expect(http).toMatchObject({ code: 2, output: expect.stringContaining('answered 400') });
    const bad = await runCli('sessions', '--db', server.db, '--as-of', 'yesterday');
    expect(bad).toMatchObject({
      code: 2,
      output: expect.stringContaining('--as-of must be a position'),
    });
  });
});
