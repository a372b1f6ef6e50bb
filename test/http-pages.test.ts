import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { expect, it } from 'vitest';
import type { SessionEvent } from '../src/events/schemas.js';
import type { RunningServer } from '../src/server.js';
import { type SessionState, toSession } from '../src/sessions/session.js';
import { describeEachBackend } from './support/backends.js';
import { checkAnswer } from './support/openapi-check.js';
import { useServers } from './support/server.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, read field by field
  body: any;
}

/** A GET over a real socket: the answer's text as sent, its headers, and its JSON. */
function get(server: RunningServer, path: string, headers: Record<string, string> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port: server.port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const status = res.statusCode ?? 0;
        // Checked against the OpenAPI document like every answer the HTTP suites get.
        const answer = new Response(text, {
          status,
          headers: { 'content-type': res.headers['content-type'] ?? '' },
        });
        checkAnswer('GET', path, answer).then(
          () => resolve({ status, headers: res.headers, text, body }),
          reject,
        );
      });
    }).on('error', reject);
  });
}

type Row = ReturnType<typeof toSession>;

/** A few milliseconds: the next event has a later time. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 3));

/** SPEC's page order: lastActivityAt descending, then id descending (code point order). */
const byActivity = (a: Row, b: Row) =>
  a.lastActivityAt < b.lastActivityAt
    ? 1
    : a.lastActivityAt > b.lastActivityAt
      ? -1
      : a.id < b.id
        ? 1
        : a.id > b.id
          ? -1
          : 0;

const started = (name: string, cwd = '/tmp'): SessionEvent => ({
  type: 'SessionStarted',
  data: { cwd, hostname: 'h', platform: 'linux', name },
});
const changed: SessionEvent = {
  type: 'FileChanged',
  data: { change: 'modified', path: 'a.txt', kind: 'file' },
};

/** `count` sessions, started concurrently (many in one millisecond: ties by id). */
async function startSessions(server: RunningServer, count: number, prefix = 's') {
  const ids = Array.from(
    { length: count },
    (_, i) => `session-${prefix}${String(i).padStart(4, '0')}`,
  );
  await Promise.all(ids.map((id, i) => server.log.store.append(id, [started(`n${i}`)])));
  return ids;
}

/** Every page of `query` (limit `limit`), following `next` until it is absent. */
async function allPages(server: RunningServer, query: string, limit: number) {
  const pages: Answer[] = [];
  let cursor: string | undefined;
  do {
    const page = await get(
      server,
      `/api/sessions?limit=${limit}${query}${cursor === undefined ? '' : `&cursor=${cursor}`}`,
    );
    expect(page.status, page.text).toBe(200);
    pages.push(page);
    cursor = page.body.next;
  } while (cursor !== undefined);
  return pages;
}

async function wholeTable(server: RunningServer, query = ''): Promise<Row[]> {
  const whole = await get(server, `/api/sessions${query}`);
  expect(whole.status).toBe(200);
  return whole.body.sessions;
}

describeEachBackend('the sessions table in pages', (log) => {
  const start = useServers();

  it('gives 250 sessions 100 at a time, each once, most recent activity first, ties by id', async () => {
    const server = await start({ db: log() });
    const ids = await startSessions(server, 250);
    // Activity on some sessions moves them ahead of the others.
    for (const id of [ids[7], ids[100], ids[249]] as string[]) {
      await pause();
      await server.log.store.append(id, [changed]);
    }
    const head = await server.log.store.head();
    const pages = await allPages(server, '', 100);
    expect(pages.map((page) => page.body.sessions.length)).toEqual([100, 100, 50]);
    expect(pages.map((page) => page.body.position)).toEqual([head, head, head]);
    expect('next' in (pages.at(-1)?.body ?? {})).toBe(false);
    const paged: Row[] = pages.flatMap((page) => page.body.sessions);
    expect(paged).toEqual([...(await wholeTable(server))].sort(byActivity));
    expect(paged.slice(0, 3).map((s) => s.id)).toEqual([ids[249], ids[100], ids[7]]);
  });

  it('answers the same page from the stored table as from a fold of the log (asOf)', async () => {
    const server = await start({ db: log() });
    const ids = await startSessions(server, 30);
    await server.log.store.append(ids[3] as string, [
      { type: 'SessionEnded', data: { status: 'failed' } },
    ]);
    const head = await server.log.store.head();
    for (const query of ['', '&status=active', '&status=ended', '&q=N1']) {
      const stored = await allPages(server, query, 7);
      const folded = await allPages(server, `${query}&asOf=${head}`, 7);
      expect(folded.map((page) => page.text)).toEqual(stored.map((page) => page.text));
    }
    // A past position: the table as it was, a page at a time.
    const past = await allPages(server, '&asOf=10', 4);
    expect(past.flatMap((page) => page.body.sessions)).toHaveLength(10);
    expect(past.map((page) => page.body.position)).toEqual([10, 10, 10]);
  });

  it('filters by status, by the groups active and ended, and leaves deleted sessions out', async () => {
    const server = await start({ db: log() });
    const [pending, working, done, failed, gone] = await startSessions(server, 5);
    const { store } = server.log;
    await store.append(working as string, [
      { type: 'SessionUpdated', data: { status: 'in_progress' } },
    ]);
    await store.append(done as string, [{ type: 'SessionEnded', data: { status: 'completed' } }]);
    await store.append(failed as string, [{ type: 'SessionEnded', data: { status: 'failed' } }]);
    await store.append(gone as string, [{ type: 'SessionDeleted', data: {} }]);
    const table = [...(await wholeTable(server))].sort(byActivity);
    const ids = async (query: string) =>
      (await allPages(server, query, 1)).flatMap((page) =>
        page.body.sessions.map((s: Row) => s.id),
      );
    const having = (...statuses: string[]) =>
      table.filter((s) => statuses.includes(s.status)).map((s) => s.id);
    expect(having('pending', 'in_progress').sort()).toEqual([pending, working].sort());
    expect(await ids('&status=active')).toEqual(having('pending', 'in_progress'));
    expect(await ids('&status=ended')).toEqual(having('completed', 'failed'));
    expect(await ids('&status=in_progress')).toEqual([working]);
    expect(await ids('&status=failed')).toEqual([failed]);
    expect((await ids('')).sort()).toEqual([pending, working, done, failed].sort());
    expect(await ids('')).not.toContain(gone);
  });

  it('searches name and cwd ignoring the case of A–Z, with % and _ as plain characters', async () => {
    const server = await start({ db: log() });
    const { store } = server.log;
    const names = ['Alpha_1', 'alphaX1', '100% done', '100 done', 'Éclair'];
    for (const [i, name] of names.entries()) await store.append(`session-${i}`, [started(name)]);
    await store.append('session-cwd', [started('other', '/home/ada/Projects')]);
    const found = async (q: string) =>
      (await allPages(server, `&q=${encodeURIComponent(q)}`, 10))
        .flatMap((page) => page.body.sessions.map((s: Row) => s.name))
        .sort();
    expect(await found('ALPHA')).toEqual(['Alpha_1', 'alphaX1']);
    expect(await found('a_1')).toEqual(['Alpha_1']);
    expect(await found('_')).toEqual(['Alpha_1']);
    expect(await found('%')).toEqual(['100% done']);
    expect(await found('0% D')).toEqual(['100% done']);
    expect(await found('Éclair')).toEqual(['Éclair']);
    // Only A–Z are folded (the same on both stores whatever the database's locale).
    expect(await found('éclair')).toEqual([]);
    expect(await found('projects')).toEqual(['other']);
  });

  it('never gives a session twice while sessions change between pages, and keeps each page in order', async () => {
    const server = await start({ db: log() });
    const ids = await startSessions(server, 60);
    const seen: string[] = [];
    const touched = new Set<string>();
    let cursor: string | undefined;
    let round = 0;
    do {
      const page = await get(server, `/api/sessions?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      const rows: Row[] = page.body.sessions;
      expect(rows).toEqual([...rows].sort(byActivity));
      seen.push(...rows.map((s) => s.id));
      cursor = page.body.next;
      // Sessions of the pages read and of those still to come get newer activity meanwhile.
      for (const id of [ids[round * 3], ids[59 - round * 5]] as string[]) {
        if (id === undefined) continue;
        await server.log.store.append(id, [changed]);
        touched.add(id);
      }
      round++;
    } while (cursor !== undefined);
    expect(new Set(seen).size).toBe(seen.length);
    // A session nobody touched is in exactly one page.
    for (const id of ids.filter((id) => !touched.has(id))) expect(seen).toContain(id);
  });

  it('sends the whole table without limit as before, byte for byte, a chunk at a time', async () => {
    const server = await start({ db: log() });
    await startSessions(server, 1200);
    await server.log.store.append('session-s0001', [
      { type: 'SessionEnded', data: { status: 'failed' } },
    ]);
    for (const query of ['', '?status=pending', '?status=failed', '?status=completed']) {
      const status = query.split('=')[1] as SessionState['status'] | undefined;
      const { sessions, position } = await server.log.listSessions(status ? { status } : {});
      const answer = await get(server, `/api/sessions${query}`);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(answer.headers['transfer-encoding']).toBe('chunked');
      expect(answer.text).toBe(JSON.stringify({ sessions: sessions.map(toSession), position }));
    }
    // A group too, in one answer from one snapshot: the dashboard opens with every active one.
    const { sessions: all, position } = await server.log.listSessions({});
    for (const [group, statuses] of [
      ['active', ['pending', 'in_progress']],
      ['ended', ['completed', 'failed']],
    ] as const) {
      const wanted = all.filter((s) => (statuses as readonly string[]).includes(s.status));
      expect(wanted.length).toBeGreaterThan(0);
      const answer = await get(server, `/api/sessions?status=${group}`);
      expect(answer.headers['transfer-encoding']).toBe('chunked');
      expect(answer.text).toBe(JSON.stringify({ sessions: wanted.map(toSession), position }));
      const past = await get(server, `/api/sessions?status=${group}&asOf=${position}`);
      expect(past.text).toBe(answer.text);
    }
  });

  it('refuses a bad limit, cursor or status with a 400 naming it, and changes nothing', async () => {
    const server = await start({ db: log() });
    await startSessions(server, 3);
    const head = await server.log.store.head();
    const foreign = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const cases: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=5&cursor=abc', 'cursor'],
      ['limit=5&cursor=%25%25', 'cursor'],
      [`limit=5&cursor=${foreign(['s2', 'x', 'y'])}`, 'cursor'],
      [`limit=5&cursor=${foreign(['s1', 'x'])}`, 'cursor'],
      [`limit=5&cursor=${foreign(['s1', 1, 'y'])}`, 'cursor'],
      [`limit=5&cursor=${foreign({ s1: 1 })}`, 'cursor'],
      ['limit=5&status=running', 'status'],
      // Pages need a limit: without one the answer is the whole table, as SPEC's first clients read it.
      [`cursor=${foreign(['s1', 'x', 'y'])}`, 'cursor'],
      ['q=a', 'q'],
    ];
    for (const [query, name] of cases) {
      const answer = await get(server, `/api/sessions?${query}`);
      expect({ query, status: answer.status }).toEqual({ query, status: 400 });
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(answer.body.errors.map((e: { path: string }) => e.path)).toEqual([name]);
    }
    expect(await server.log.store.head()).toBe(head);
  });
});

describeEachBackend('events newest first, below a position', (log) => {
  const start = useServers();

  /** Two sessions' events interleaved; returns the log as a fold would read it. */
  async function interleaved(server: RunningServer) {
    const { store } = server.log;
    await store.append('session-a', [started('a')]);
    await store.append('session-b', [started('b')]);
    for (let i = 0; i < 12; i++) {
      await store.append('session-a', [changed, changed]);
      await store.append('session-b', [changed]);
    }
    await store.append('session-c', [started('c')]);
    await store.append('session-a', [{ type: 'SessionEnded', data: { status: 'completed' } }]);
    return store.read({ limit: 10_000 });
  }

  /** Follows `next` as `before` from `first`; returns the positions and each page's length. */
  async function backwards(server: RunningServer, path: string, first: number, limit: number) {
    const positions: number[] = [];
    const lengths: number[] = [];
    let before: number | undefined = first;
    while (before !== undefined) {
      const sep = path.includes('?') ? '&' : '?';
      const page = await get(server, `${path}${sep}before=${before}&limit=${limit}`);
      expect(page.status, page.text).toBe(200);
      positions.push(...page.body.events.map((e: { position: number }) => e.position));
      lengths.push(page.body.events.length);
      before = page.body.next;
    }
    return { positions, lengths };
  }

  it("reads a session's events from the newest, a page at a time, each once", async () => {
    const server = await start({ db: log() });
    const events = await interleaved(server);
    const head = await server.log.store.head();
    const mine = events.filter((e) => e.stream === 'session-a').map((e) => e.position);
    const { positions, lengths } = await backwards(
      server,
      '/api/sessions/session-a/events',
      head + 1,
      10,
    );
    expect(positions).toEqual([...mine].reverse());
    expect(lengths).toEqual([10, 10, 6]);
    // From the middle: only what lies below.
    const below = mine[10] as number;
    const from = await backwards(server, '/api/sessions/session-a/events', below, 4);
    expect(from.positions).toEqual(mine.filter((p) => p < below).reverse());
    // Nothing below: an empty page, no next.
    const empty = await get(server, '/api/sessions/session-a/events?before=1');
    expect(empty.body).toEqual({ events: [] });
  });

  it('reads the log from the newest with type and stream filters, and says the head', async () => {
    const server = await start({ db: log() });
    const events = await interleaved(server);
    const head = await server.log.store.head();
    const cases: [string, (e: (typeof events)[number]) => boolean][] = [
      ['', () => true],
      ['?types=SessionStarted,SessionEnded', (e) => e.type !== 'FileChanged'],
      ['?streams=session-b,session-c', (e) => e.stream !== 'session-a'],
      ['?streams=session-b', (e) => e.stream === 'session-b'],
      [
        '?streams=session-a,session-c&types=SessionStarted,SessionEnded',
        (e) => e.stream !== 'session-b' && e.type !== 'FileChanged',
      ],
    ];
    for (const [query, keep] of cases) {
      const { positions } = await backwards(server, `/api/events${query}`, head + 1, 5);
      const expected = events
        .filter(keep)
        .map((e) => e.position)
        .reverse();
      expect({ query, positions }).toEqual({ query, positions: expected });
    }
    const first = await get(server, `/api/events?before=${head + 1}&limit=2`);
    expect(first.body).toMatchObject({ head, next: head - 1 });
    expect(first.body.events).toEqual(events.slice(-2).reverse());
  });

  it('refuses a bad before with a 400 naming it, and changes nothing', async () => {
    const server = await start({ db: log() });
    await interleaved(server);
    const head = await server.log.store.head();
    for (const path of ['/api/events', '/api/sessions/session-a/events']) {
      for (const query of [
        'before=0',
        `before=${head + 2}`,
        'before=x',
        'before=-1',
        'before=3&after=1',
      ]) {
        const answer = await get(server, `${path}?${query}`);
        expect({ path, query, status: answer.status }).toEqual({ path, query, status: 400 });
        expect(answer.body.errors.map((e: { path: string }) => e.path)).toEqual(['before']);
      }
      const limit = await get(server, `${path}?before=3&limit=10001`);
      expect(limit.body.errors.map((e: { path: string }) => e.path)).toEqual(['limit']);
    }
    const ndjson = await get(server, '/api/events?before=3', { accept: 'application/x-ndjson' });
    expect(ndjson.status).toBe(400);
    expect(ndjson.body.errors.map((e: { path: string }) => e.path)).toEqual(['before']);
    expect(await server.log.store.head()).toBe(head);
  });
});
