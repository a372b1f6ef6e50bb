import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FreshRoot } from '../src/checkpoints/fresh-root.js';
import { ChainCheck } from '../src/events/chain-check.js';
import type { EventRow } from '../src/events/event-row.js';
import { chainHashOf, chainHashOfContent, GENESIS_HASH } from '../src/events/hash.js';
import { sessionEventTypes } from '../src/events/schemas.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { SqliteEventReader } from '../src/stores/sqlite/reader.js';
import { checkSegment, HASHED_CONTENT, TREE_BLOCK } from '../src/stores/sqlite/verify-segment.js';
import { checkSegments, planSegments } from '../src/stores/sqlite/verify-segments.js';
import { useLogFile } from './support/temp-dir.js';
import { writeTwelveEvents } from './support/twelve-events.js';

/** Twelve events; with blocks of 4 leaves and 3 segments: positions 1–4, 5–8, 9–12. */
async function writeLog(file: string): Promise<void> {
  const log = openSessionlog({ db: file, durability: 'normal' });
  try {
    await writeTwelveEvents(log.commands);
  } finally {
    await log.close();
  }
}

/** Edits the file behind sessionlog's back, its append-only triggers dropped first. */
function tamper(file: string, sql: string): void {
  const raw = new Database(file);
  raw.exec('DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete');
  raw.exec(sql);
  raw.close();
}

/** What the chain check says reading the whole log in one thread, in order. */
function inOnePass(file: string): { chain: ChainCheck; root: Buffer } {
  const db = new Database(file, { readonly: true });
  try {
    const chain = new ChainCheck();
    for (const row of new SqliteEventReader(db, sessionEventTypes).rows()) {
      if (!chain.next(row)) break;
    }
    const root = new FreshRoot();
    root.add(db.prepare('SELECT hash FROM events ORDER BY position').pluck().all() as string[]);
    return { chain, root: root.root() };
  } finally {
    db.close();
  }
}

describe('verify in segments, each in a worker thread', () => {
  const logFile = useLogFile();

  it('cuts the log into runs of whole tree blocks, the last ending at the head', () => {
    expect(planSegments(12, 3, 4)).toEqual([
      { after: 0, upTo: 4, block: 4 },
      { after: 4, upTo: 8, block: 4 },
      { after: 8, upTo: 12, block: 4 },
    ]);
    expect(planSegments(10, 2, 4)).toEqual([
      { after: 0, upTo: 4, block: 4 },
      { after: 4, upTo: 10, block: 4 },
    ]);
    // Fewer segments than asked when there are fewer blocks than threads.
    expect(planSegments(5, 4, 4)).toEqual([
      { after: 0, upTo: 4, block: 4 },
      { after: 4, upTo: 5, block: 4 },
    ]);
    expect(planSegments(3, 2, 4)).toEqual([{ after: 0, upTo: 3, block: 4 }]);
    expect(planSegments(0, 2, 4)).toEqual([]);
  });

  it('cuts segments of about the same length: the check ends with the longest', () => {
    // The scale log: whole segments of blocks were 589,824 + 500,177 positions.
    for (const [head, count] of [
      [1_090_001, 2],
      [300_000, 2],
      [1_000_000, 3],
      [70_000, 8],
    ] as const) {
      const segments = planSegments(head, count);
      expect(segments[0]?.after).toBe(0);
      expect(segments.at(-1)?.upTo).toBe(head);
      const lengths = segments.map(({ after, upTo }) => upTo - after);
      expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(TREE_BLOCK);
      for (const [i, segment] of segments.entries()) {
        expect(segment.after % TREE_BLOCK).toBe(0);
        if (i > 0) expect(segment.after).toBe(segments[i - 1]?.upTo);
      }
    }
  });

  it('finds an intact log intact, with the root one pass computes', async () => {
    await writeLog(logFile());
    const { chain, tree } = await checkSegments(logFile(), 12, 3, 4).report;
    expect(chain).toEqual({ events: 12, head: 12 });
    expect(tree).toEqual({ fresh: inOnePass(logFile()).root });
  });

  it('finds a hash broken in the second segment at its position, as one pass does', async () => {
    await writeLog(logFile());
    tamper(logFile(), `UPDATE events SET time = '2000-01-01T00:00:00.000Z' WHERE position = 6`);
    const { chain } = await checkSegments(logFile(), 12, 3, 4).report;
    expect(chain).toEqual({
      events: 5,
      head: 6,
      broken: { position: 6, reason: 'hash does not match the content and the previous hash' },
    });
    const { events, head, broken } = inOnePass(logFile()).chain;
    expect(chain).toEqual({ events, head, broken });
  });

  it('names the first break when a later segment is broken too', async () => {
    await writeLog(logFile());
    tamper(
      logFile(),
      `UPDATE events SET data = '{}' WHERE position = 11;
       UPDATE events SET time = '2000-01-01T00:00:00.000Z' WHERE position = 7`,
    );
    const { chain } = await checkSegments(logFile(), 12, 3, 4).report;
    expect(chain.broken?.position).toBe(7);
    expect(chain.events).toBe(6);
  });

  it('finds a position missing at the end of a segment, naming the next one', async () => {
    await writeLog(logFile());
    tamper(logFile(), 'DELETE FROM events WHERE position = 8');
    const { chain, tree } = await checkSegments(logFile(), 12, 3, 4).report;
    expect(chain).toEqual({
      events: 7,
      head: 9,
      broken: { position: 8, reason: 'position 8 is missing (next is 9)' },
    });
    const { events, head, broken } = inOnePass(logFile()).chain;
    expect(chain).toEqual({ events, head, broken });
    // The leaves are not positions 1..12 any more: the caller computes the root in one pass.
    expect(tree).toBeUndefined();
  });

  it('says which hash cannot be a leaf, the first in position order', async () => {
    await writeLog(logFile());
    tamper(
      logFile(),
      `UPDATE events SET hash = 'XYZ' WHERE position = 10;
       UPDATE events SET hash = upper(hash) WHERE position = 5`,
    );
    const { chain, tree } = await checkSegments(logFile(), 12, 3, 4).report;
    expect(chain.broken?.position).toBe(5);
    expect(tree).toEqual({
      unreadable: expect.stringMatching(
        /^an event hash is 64 lowercase hex digits, got "[0-9A-F]{64}"$/,
      ),
    });
  });

  it('fails with the positions of a thread that failed, and does not wait for it', async () => {
    const checks = checkSegments('/nonexistent/sessionlog.db', 12, 3, 4);
    await expect(checks.report).rejects.toThrow(
      /^the check of positions (1\.\.4|5\.\.8|9\.\.12) failed in its thread: Cannot open database because the directory does not exist$/,
    );
  });
});

describe('the hashed content as SQLite assembles it', () => {
  const logFile = useLogFile();

  /** An events table as the log's, holding `rows` as given, chained as JavaScript reads them. */
  function chained(rows: Omit<EventRow, 'position' | 'hash'>[]): Database.Database {
    const db = new Database(logFile());
    db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, id TEXT, stream TEXT,
      version INTEGER, type TEXT, time TEXT, data TEXT, meta TEXT, hash TEXT)`);
    const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const read = db.prepare('SELECT * FROM events WHERE position = ?');
    let previous = GENESIS_HASH;
    rows.forEach(({ id, stream, version, type, time, data, meta }, i) => {
      insert.run(i + 1, id, stream, version, type, time, data, meta, '');
      const row = read.get(i + 1) as EventRow;
      previous = chainHashOf(previous, row, row.data, row.meta);
      db.prepare('UPDATE events SET hash = ? WHERE position = ?').run(previous, i + 1);
    });
    return db;
  }

  it('is the text chainHashOf hashes, for every character a field may hold', () => {
    // Every ASCII character, the JSON line terminators, non-BMP text, lone surrogates.
    const ascii = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c));
    const texts = [
      ...ascii,
      'say "hi"\\n',
      '\u2028\u2029',
      'é漢字🎉',
      '\ufffd',
      '\ud800x',
      'x\udc00',
    ];
    const db = chained(
      texts.map((text) => ({
        id: `id-${text}`,
        stream: `s${text}`,
        version: 3,
        type: `T${text}`,
        time: `2026-${text}`,
        data: '{"a":1}',
        meta: '{}',
      })),
    );
    const rows = db
      .prepare(`SELECT *, ${HASHED_CONTENT} AS content FROM events ORDER BY position`)
      .all() as (EventRow & { content: string })[];
    db.close();
    expect(rows).toHaveLength(texts.length);
    for (const row of rows) {
      expect(chainHashOfContent('p', row.content), JSON.stringify(row.id)).toBe(
        chainHashOf('p', row, row.data, row.meta),
      );
    }
  });

  it('leaves a row it cannot assemble to the columns, with the same verdict', () => {
    const event = { stream: 's', version: 1, type: 'T', time: 't', data: '{}', meta: '{}' };
    // An id stored as a BLOB: json_quote refuses it, JavaScript reads it as a Buffer.
    const db = chained([
      { ...event, id: 'a' },
      { ...event, id: Buffer.from('b') as unknown as string },
      { ...event, id: 'c' },
    ]);
    try {
      expect(checkSegment(db, { after: 0, upTo: 3, block: 4 }).chain).toEqual({
        events: 3,
        head: 3,
      });
    } finally {
      db.close();
    }
  });
});
