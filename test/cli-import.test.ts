import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { chainHash, GENESIS_HASH } from '../src/events/hash.js';
import { isPostgresUrl } from '../src/stores/open-log.js';
import { openPgSessionlog } from '../src/stores/postgres/open-postgres.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { describeEachBackend } from './support/backends.js';
import { runCli } from './support/cli.js';
import { PG_URL, usePgSchemas } from './support/postgres.js';
import { useTempDir } from './support/temp-dir.js';
import { writeTwelveEvents } from './support/twelve-events.js';
import { appendUncheckedSqlite } from './support/unchecked-append.js';

const run = promisify(execFile);

/** `sessionlog import` in-process, the export given as its standard input. */
async function runImport(db: string, input: string | Buffer[]) {
  const lines: string[] = [];
  const code = await main(['import', '--db', db], {
    log: (line) => lines.push(line),
    error: (line) => lines.push(line),
    data: new Writable({ write: (_chunk, _encoding, done) => done() }),
    input: Readable.from(typeof input === 'string' ? [Buffer.from(input)] : input),
  });
  return { code, output: lines.join('\n') };
}

/** A source log of a few sessions (renamed, ended, one deleted, file changes), exported. */
async function exportedLog(file: string): Promise<string> {
  const log = openSessionlog({ db: file, durability: 'normal', snapshotEvery: 4 });
  try {
    const ids = await writeTwelveEvents(log.commands);
    await log.store.append(ids[0] as string, [
      { type: 'FileChanged', data: { change: 'created', path: 'src/é.ts', kind: 'file' } },
    ]);
    await log.commands.delete(ids[1] as string, { reason: 'gone' });
  } finally {
    await log.close();
  }
  const { code, data } = await runCli('events', '--db', file);
  expect(code).toBe(0);
  return data;
}

type Envelope = Record<string, unknown> & { position: number; hash: string };

const parse = (ndjson: string): Envelope[] =>
  ndjson
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Envelope);

/** The envelopes as an export, each hash chained again (an export a forger made whole). */
function rechained(events: Envelope[]): string {
  let previous = GENESIS_HASH;
  return events
    .map((event) => {
      const { hash: _, ...content } = event;
      previous = chainHash(previous, content as never);
      return `${JSON.stringify({ ...event, hash: previous })}\n`;
    })
    .join('');
}

/** The export's events, then file changes of its first session up to `count` events in all. */
function longer(events: Envelope[], count: number): Envelope[] {
  const first = events[0] as Envelope & { stream: string; version: number };
  let version = Math.max(
    ...events.filter((e) => e.stream === first.stream).map((e) => e.version as number),
  );
  const more = Array.from({ length: count - events.length }, (_, i) => ({
    ...first,
    position: events.length + i + 1,
    id: `${first.id}-${i}`,
    version: ++version,
    type: 'FileChanged',
    data: { change: 'modified', path: `src/more-${i}.ts`, kind: 'file' },
  }));
  return [...events, ...more];
}

/** What a target holds, to compare before and after a refused import. */
async function targetState(db: string): Promise<string> {
  if (!isPostgresUrl(db)) {
    const files = readdirSync(dirname(db)).sort().join(',');
    return `${files}:${existsSync(db) ? readFileSync(db).toString('base64') : 'absent'}`;
  }
  const schema = new URL(db).searchParams.get('schema');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 ORDER BY 1`,
      [schema],
    );
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    const counts = rows.some((row) => row.relname === 'events')
      ? (await client.query(`SELECT count(*)::int AS n FROM ${schema}.events`)).rows[0].n
      : '-';
    return `${exists.rowCount}:${rows.map((row) => row.relname).join(',')}:${counts}`;
  } finally {
    await client.end();
  }
}

/** Each index on the log's tables and how it is made (the schema's name taken out). */
async function indexesOf(db: string): Promise<string[]> {
  if (!isPostgresUrl(db)) {
    const file = new Database(db, { readonly: true });
    try {
      return file
        .prepare(
          "SELECT name || ': ' || coalesce(sql, '') AS text FROM sqlite_master WHERE type = 'index' ORDER BY name",
        )
        .pluck()
        .all() as string[];
    } finally {
      file.close();
    }
  }
  const schema = new URL(db).searchParams.get('schema') as string;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ text: string }>(
      `SELECT indexname || ': ' || replace(indexdef, $1 || '.', '') AS text FROM pg_indexes
       WHERE schemaname = $1 ORDER BY indexname`,
      [schema],
    );
    return rows.map((row) => row.text);
  } finally {
    await client.end();
  }
}

describeEachBackend('sessionlog import', (target, backend) => {
  const dir = useTempDir();
  const source = () => join(dir(), 'source.db');
  const pgSchemas = usePgSchemas();

  it('leaves the indexes a log is made with (the import builds some after the load)', async () => {
    const exported = await exportedLog(source());
    expect((await runImport(target(), exported)).code).toBe(0);
    // A log the store made on the same backend, for its indexes.
    let made = source();
    if (backend.name === 'PostgreSQL') {
      made = pgSchemas();
      await (await openPgSessionlog({ url: made, durability: 'normal' })).close();
    }
    const expected = await indexesOf(made);
    expect(expected.some((index) => index.startsWith('events_by_stream: '))).toBe(true);
    expect(await indexesOf(target())).toEqual(expected);
  });

  if (backend.name === 'PostgreSQL') {
    it('leaves statistics of the tables it filled, so that a range of positions is read by its index', async () => {
      const exported = await exportedLog(source());
      expect((await runImport(target(), exported)).code).toBe(0);
      const schema = new URL(target()).searchParams.get('schema');
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        const { rows } = await client.query<{ tablename: string }>(
          'SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = $1 ORDER BY tablename',
          [schema],
        );
        expect(rows.map((row) => row.tablename)).toEqual(
          expect.arrayContaining(['events', 'merkle_nodes', 'sessions', 'sessions_history']),
        );
      } finally {
        await client.end();
      }
    });
  }

  it('restores an export byte for byte: the same events, a chain verify accepts, the same sessions table', async () => {
    const exported = await exportedLog(source());
    const imported = await runImport(target(), exported);
    expect(imported.output).toMatch(/^imported 14 events \(positions 1\.\.14/);
    expect(imported.code).toBe(0);

    expect((await runCli('events', '--db', target())).data).toBe(exported);
    const verified = await runCli('verify', '--db', target());
    expect(verified.output).toContain('chain        14 events, positions 1..14, every hash intact');
    expect(verified.output).toContain('sessions at position 14 equals a fresh fold of the log');
    expect(verified.code).toBe(0);
    const sessions = (db: string) => runCli('sessions', '--db', db).then((r) => r.output);
    expect(await sessions(target())).toBe(await sessions(source()));
    const asOf = (db: string) =>
      runCli('sessions', '--db', db, '--as-of', '7').then((r) => r.output);
    expect(await asOf(target())).toBe(await asOf(source()));
  });

  it('restores an export given as one large chunk, a character split where the checking thread cuts it', async () => {
    // The checking thread decodes 64 KiB at a time: the cut at byte 65,536 falls inside an
    // "é" (two bytes), which must come out whole.
    const events = parse(await exportedLog(source()));
    const withPaths = (pad: string) =>
      rechained(
        longer(events, events.length + 12).map((event, i) =>
          i < events.length
            ? event
            : {
                ...event,
                data: {
                  change: 'modified',
                  kind: 'file',
                  path: `${i === events.length ? pad : ''}${i}${'é'.repeat(4000)}`,
                },
              },
        ),
      );
    const splitAtCut = (text: string) => ((Buffer.from(text)[65_536] ?? 0) & 0xc0) === 0x80;
    // The cut falls in the middle of a line's "é"s for some padding of the line before it.
    const exported = Array.from({ length: 600 }, (_, n) => withPaths('x'.repeat(n))).find(
      splitAtCut,
    ) as string;
    expect(exported).toBeDefined();
    const imported = await runImport(target(), exported);
    expect(imported.output).toMatch(/^imported 26 events/);
    expect((await runCli('events', '--db', target())).data).toBe(exported);
  });

  it('hands the checking thread the chunks that own their memory, and copies those that share it', async () => {
    const exported = await exportedLog(source());
    const bytes = Buffer.from(exported);
    const third = Math.floor(bytes.length / 3);
    // Two chunks cut from one shared buffer (as a pooled stream gives them), then one of its own.
    const shared = Buffer.from(bytes.subarray(0, 2 * third));
    const own = Buffer.alloc(bytes.length - 2 * third); // never from the pool
    bytes.copy(own, 0, 2 * third);
    const chunks = [shared.subarray(0, third), shared.subarray(third), own];
    const imported = await runImport(target(), chunks);
    expect(imported.output).toMatch(/^imported 14 events/);
    expect((await runCli('events', '--db', target())).data).toBe(exported);
    // The shared memory is still this side's; the chunk of its own went to the thread.
    expect(shared.toString()).toBe(bytes.subarray(0, 2 * third).toString());
    expect(chunks.map((chunk) => chunk.byteLength)).toEqual([third, third, 0]);
  });

  it('refuses a log that is not empty, and changes nothing in it', async () => {
    const exported = await exportedLog(source());
    expect((await runImport(target(), exported)).code).toBe(0);
    const before = await targetState(target());
    const again = await runImport(target(), exported);
    expect(again.output).toMatch(/is not empty: it holds 14 events/);
    expect(again.code).toBe(1);
    expect(await targetState(target())).toBe(before);
  });

  const refusals: Array<[string, (events: Envelope[], text: string[]) => string, RegExp]> = [
    [
      'an edited event (its hash no longer matches)',
      (_, lines) => {
        lines[3] = (lines[3] as string).replace('"s1"', '"forged"');
        return `${lines.join('\n')}\n`;
      },
      /line 4, position 4: hash does not match the content and the previous hash/,
    ],
    [
      'a missing event (a gap)',
      (_, lines) => `${lines.filter((__, i) => i !== 3).join('\n')}\n`,
      /line 4, position 5: position 4 is missing \(next is 5\)/,
    ],
    [
      'a line that is not JSON',
      (_, lines) => `${[...lines.slice(0, 2), '{"position":3,', ...lines.slice(3)].join('\n')}\n`,
      /line 3: not JSON/,
    ],
    [
      'an envelope without its hash',
      (events) => {
        const { hash: _, ...rest } = events[5] as Envelope;
        return `${events.map((e, i) => JSON.stringify(i === 5 ? rest : e)).join('\n')}\n`;
      },
      /line 6: not an event envelope: no hash/,
    ],
    [
      'a hash in capitals (the right digits, but not as a log writes them)',
      (events) =>
        `${events.map((e, i) => JSON.stringify(i === 4 ? { ...e, hash: e.hash.toUpperCase() } : e)).join('\n')}\n`,
      /line 5, position 5: hash must be 64 hex digits/,
    ],
    [
      'an envelope with a field more',
      (events) =>
        `${events.map((e, i) => JSON.stringify(i === 1 ? { ...e, note: 'x' } : e)).join('\n')}\n`,
      /line 2: not an event envelope: unknown field note/,
    ],
    [
      'an envelope with a field misnamed (what is missing is named first)',
      (_, lines) => {
        lines[2] = (lines[2] as string).replace('"stream":', '"streem":');
        return `${lines.join('\n')}\n`;
      },
      /line 3: not an event envelope: no stream;/,
    ],
    [
      'an unknown event type',
      (events) => rechained(events.map((e, i) => (i === 2 ? { ...e, type: 'SessionPaused' } : e))),
      /line 3, position 3: unknown event type "SessionPaused"/,
    ],
    [
      'data its schema refuses',
      (events) =>
        rechained(
          events.map((e, i) =>
            i === 0 ? { ...e, data: { ...(e.data as object), cwd: 'rel' } } : e,
          ),
        ),
      /line 1, position 1: invalid SessionStarted data at data\.cwd: must be an absolute path/,
    ],
    [
      'a (stream, version) that is there already',
      (events) =>
        rechained(events.map((e, i) => (i === 3 ? { ...e, stream: events[0]?.stream } : e))),
      /line 4, position 4: stream session-\S+ has version 2 already/,
    ],
    [
      'an id that is there already',
      (events) => rechained(events.map((e, i) => (i === 9 ? { ...e, id: events[2]?.id } : e))),
      /line 10, position 10: id \S+ appears on an earlier line/,
    ],
    [
      'an id that is there already, deep in a long export (rows are inserted many at a time)',
      (events) =>
        rechained(longer(events, 100).map((e, i) => (i === 69 ? { ...e, id: events[2]?.id } : e))),
      /line 70, position 70: id \S+ appears on an earlier line/,
    ],
  ];
  for (const [what, forge, message] of refusals) {
    it(`refuses ${what}, naming the line, and leaves the target as it was`, async () => {
      const exported = await exportedLog(source());
      const forged = forge(parse(exported), exported.trimEnd().split('\n'));
      const before = await targetState(target());
      const { code, output } = await runImport(target(), forged);
      expect(output).toMatch(message);
      expect(output).toContain('nothing was imported');
      expect(code).toBe(1);
      expect(await targetState(target())).toBe(before);
    });
  }

  it('moves a log through a pipe: sessionlog events | sessionlog import', async () => {
    const exported = await exportedLog(source());
    const cli = 'node bin/sessionlog.js';
    const { stderr } = await run('bash', [
      '-c',
      `set -o pipefail; ${cli} events --db "$1" | ${cli} import --db "$2"`,
      'pipe',
      source(),
      target(),
    ]);
    // Standard error is not a terminal: no progress line, nothing at all.
    expect(stderr).toBe('');
    expect((await runCli('events', '--db', target())).data).toBe(exported);
  });

  it('exports a log of several pages whole and in order, and filtered', async () => {
    const events = longer(parse(await exportedLog(source())), 4_500);
    expect((await runImport(target(), rechained(events))).code).toBe(0);
    const all = parse((await runCli('events', '--db', target())).data);
    expect(all.map((event) => event.position)).toEqual(events.map((event) => event.position));
    expect(all).toEqual(parse(rechained(events)));
    const filtered = await runCli('events', '--db', target(), '--types', 'SessionEnded');
    expect(parse(filtered.data).map((event) => event.position)).toEqual(
      events.filter((event) => event.type === 'SessionEnded').map((event) => event.position),
    );
  });
});

describe('sessionlog import into a file', () => {
  const dir = useTempDir();

  it('refuses another program’s database and leaves it and its folder as they were', async () => {
    const file = join(dir(), 'other.db');
    const other = new Database(file);
    other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    other.close();
    const before = await targetState(file);
    const { code, output } = await runImport(file, '');
    expect(output).toMatch(/is not a sessionlog log: it is another program's SQLite database/);
    expect(code).toBe(1);
    expect(await targetState(file)).toBe(before);
  });

  it('fills an empty log made by serve, and an empty export makes an empty log', async () => {
    const file = join(dir(), 'empty.db');
    await openSessionlog({ db: file }).close();
    const { code, output } = await runImport(file, '');
    expect(output).toMatch(/^imported 0 events/);
    expect(code).toBe(0);
    expect((await runCli('verify', '--db', file)).code).toBe(0);
  });

  it('restores a log that holds a lone surrogate from before the log refused them', async () => {
    const source = join(dir(), 'old.db');
    const log = openSessionlog({ db: source, durability: 'normal' });
    const { session } = await log.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'l' });
    await log.close();
    appendUncheckedSqlite(source, {
      stream: session.id,
      type: 'SessionUpdated',
      data: { name: 'a\ud800b' },
    });
    const exported = (await runCli('events', '--db', source)).data;
    expect(exported).toContain('"a\\ud800b"');
    const target = join(dir(), 'restored.db');
    const { code, output } = await runImport(target, exported);
    expect(output).toMatch(/^imported 2 events/);
    expect(code).toBe(0);
    expect((await runCli('events', '--db', target)).data).toBe(exported);
    expect((await runCli('verify', '--db', target)).code).toBe(0);
  });

  it('makes the sessions snapshots a rebuild makes, where it makes them, each of its own prefix', async () => {
    const exported = await exportedLog(join(dir(), 'source.db'));
    const target = join(dir(), 'snapshots.db');
    const { code, output } = await runImport(target, rechained(longer(parse(exported), 2500)));
    expect(output).toMatch(
      /^imported 2500 events \(positions 1\.\.2500, \d+ sessions, 2 snapshots\)/,
    );
    expect(code).toBe(0);
    const verified = await runCli('verify', '--db', target);
    expect(verified.output).toMatch(
      /snapshots +sessions: 2 up to position 2000 .* each equals the fold at its position/,
    );
    expect(verified.code).toBe(0);
  });

  it('reads the export from --from', async () => {
    const source = join(dir(), 'source.db');
    const exported = await exportedLog(source);
    const from = join(dir(), 'export.ndjson');
    writeFileSync(from, exported);
    const target = join(dir(), 'target.db');
    expect((await runCli('import', '--db', target, '--from', from)).code).toBe(0);
    expect((await runCli('events', '--db', target)).data).toBe(exported);
  });

  it('stops at a refused line without waiting for the rest of an input that goes on', async () => {
    // A writer that never ends (a terminal, a program still printing): the refusal of the
    // first line is the answer, and the input is closed, as it was when one thread read it.
    const input = new PassThrough();
    input.write('{"position":1,\n');
    const target = join(dir(), 'target.db');
    const code = await main(['import', '--db', target], {
      log: () => {},
      error: () => {},
      data: new Writable({ write: (_chunk, _encoding, done) => done() }),
      input,
    });
    expect(code).toBe(1);
    expect(input.destroyed).toBe(true);
    expect(existsSync(target)).toBe(false);
  });
});
