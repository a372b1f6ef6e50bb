import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';

export type Synchronous = 'NORMAL' | 'FULL';

// The baseline's events table: the app's columns and constraints
// (src/stores/sqlite/database.ts), without the app's extra index on (type, position).
const EVENTS_TABLE = `
CREATE TABLE events (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  id       TEXT NOT NULL UNIQUE,
  stream   TEXT NOT NULL,
  version  INTEGER NOT NULL,
  type     TEXT NOT NULL,
  time     TEXT NOT NULL,
  data     TEXT NOT NULL,
  meta     TEXT NOT NULL,
  hash     TEXT NOT NULL,
  UNIQUE (stream, version)
);`;

// What the store writes for a FileChanged event: canonical JSON, and a 64-hex-digit hash. The
// hash column is not indexed, so a fixed value costs SQLite what a real one would.
const DATA = '{"change":"modified","kind":"file","path":"a.txt"}';
const META = '{"schemaVersion":1}';
const HASH = 'f'.repeat(64);
// As many streams as the store figure has appenders, written round-robin.
const STREAMS = 64;

export interface RawInsertRound {
  file: string;
  synchronous: Synchronous;
  ms: number;
}

/**
 * The baseline: a plain better-sqlite3 loop of one INSERT per transaction into a fresh events
 * table, WAL with the given synchronous mode. Returns rows/s over `ms` milliseconds.
 */
export function rawInsertRound({ file, synchronous, ms }: RawInsertRound): number {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.exec(EVENTS_TABLE);
    const insert =
      db.prepare(`INSERT INTO events (id, stream, version, type, time, data, meta, hash)
      VALUES (?, ?, ?, 'FileChanged', ?, ?, ?, ?)`);
    const insertOne = db.transaction((stream: string, version: number) => {
      insert.run(randomUUID(), stream, version, new Date().toISOString(), DATA, META, HASH);
    });
    const streams = Array.from({ length: STREAMS }, () => `session-${randomUUID()}`);
    let rows = 0;
    const started = performance.now();
    const deadline = started + ms;
    let now = started;
    while (now < deadline) {
      // One row per stream per pass: versions climb 1, 2, 3… in every stream, as in the log.
      const version = rows / STREAMS + 1;
      for (const stream of streams) insertOne(stream, version);
      rows += STREAMS;
      now = performance.now();
    }
    return rows / ((now - started) / 1000);
  } finally {
    db.close();
  }
}
