import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sessionEventVersions } from '../src/events/event-types.js';
import { sessionsProjection } from '../src/projections/sessions-projection.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import {
  foldColumns,
  foldColumnsBesideContent,
  foldedColumns,
  foldedFromContent,
} from '../src/stores/sqlite/progress-reader.js';
import { HASHED_CONTENT } from '../src/stores/sqlite/verify-segment.js';
import { useLogFile } from './support/temp-dir.js';

// verify's fold reads a row's stream, type and time out of the content text the chain check
// reads (HASHED_CONTENT), not as columns: the two must give the fold the same event, whatever
// the text holds, keys' look-alikes inside the values included.
const STREAMS = [
  'session-plain',
  'a "quoted", "time":"x","type":"y","version":1} stream',
  'back\\slash \\" and ,"stream":"s',
  'line\nbreak \u2028 \u0001 é 😀',
];

describe("verify's fold read out of the content text", () => {
  const logFile = useLogFile();

  it('gives the fold the event its columns give, for every row', async () => {
    const log = openSessionlog({ db: logFile(), durability: 'normal' });
    try {
      for (const stream of STREAMS) {
        await log.store.append(stream, [
          { type: 'SessionStarted', data: { cwd: '/w', hostname: 'h', platform: 'linux' } },
          { type: 'FileChanged', data: { change: 'created', path: 'a,"type":"b"', kind: 'file' } },
        ]);
      }
    } finally {
      await log.close();
    }
    // A type no fold handles, with a quote to unescape: skipped by both.
    const raw = new Database(logFile());
    raw
      .prepare(
        `INSERT INTO events (position, id, stream, version, type, time, data, meta, hash)
         VALUES (9, 'x', 's', 1, 'Odd"Type', '2026-01-01T00:00:00.000Z', '{}', '{"schemaVersion":1}', 'h')`,
      )
      .run();
    // Data whose keys look like the content's own last keys (a row no append would write).
    raw
      .prepare(
        `INSERT INTO events (position, id, stream, version, type, time, data, meta, hash)
         VALUES (10, 'y', 't', 1, 'FileChanged', '2026-01-01T00:00:00.000Z',
           '{"a":1,"stream":"no","time":"no","type":"no","version":9}', '{"schemaVersion":1}', 'h')`,
      )
      .run();
    const rows = raw
      .prepare(
        `SELECT position, ${HASHED_CONTENT} AS content, ${foldColumns(sessionsProjection)},
           ${foldColumnsBesideContent(sessionsProjection)} FROM events ORDER BY position`,
      )
      .raw(true)
      .all() as unknown[][];
    raw.close();
    expect(rows).toHaveLength(10);
    const folded = rows.map((row) => {
      const [position, content] = row as [number, string];
      const byColumns = foldedColumns(position, row, 2, sessionsProjection, sessionEventVersions);
      const byContent = foldedFromContent(
        position,
        content,
        row,
        8,
        sessionsProjection,
        sessionEventVersions,
      );
      expect(byContent).toEqual(byColumns);
      return byContent;
    });
    expect(folded.map((event) => event?.stream)).toEqual([
      ...STREAMS.flatMap((stream) => [stream, stream]),
      undefined,
      't',
    ]);
    expect(folded[1]).toMatchObject({ type: 'FileChanged', version: 2 });
  });
});
