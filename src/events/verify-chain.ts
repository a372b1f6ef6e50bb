import { chainHash, GENESIS_HASH } from './hash.js';
import {
  APPEND_ONLY_TRIGGERS,
  isAppendOnlyTrigger,
  type SqliteDatabase,
} from './sqlite-database.js';
import { decodeRow, type SqliteEventReader } from './sqlite-reader.js';

export interface ChainReport {
  events: number;
  head: number;
  /** The first position whose stored content or hash disagrees with the chain. */
  broken?: { position: number; reason: string };
  /** Append-only triggers that are not in the database. */
  missingTriggers: string[];
  /** Triggers under an append-only trigger's name that no longer refuse what it refused. */
  alteredTriggers: string[];
  /**
   * The last position an idempotency key records, when it is beyond the head: the log lost
   * its tail (the chain of what is left is intact, so only this shows it).
   */
  keysBeyondHead?: number;
}

/**
 * Recomputes the hash chain over the events as stored and checks that positions run 1, 2,
 * 3, … without a gap. Stops at the first break: every later hash depends on it.
 */
export function verifyChain(db: SqliteDatabase, reader: SqliteEventReader): ChainReport {
  const present = new Map(
    (
      db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all() as {
        name: string;
        sql: string;
      }[]
    ).map(({ name, sql }): [string, string] => [name, sql]),
  );
  const missingTriggers = APPEND_ONLY_TRIGGERS.filter((name) => !present.has(name));
  const alteredTriggers = APPEND_ONLY_TRIGGERS.filter((name) => {
    const sql = present.get(name);
    return sql !== undefined && !isAppendOnlyTrigger(name, sql);
  });
  const triggers = { missingTriggers, alteredTriggers };
  let previous = GENESIS_HASH;
  let expected = 1;
  let events = 0;
  for (const row of reader.rows()) {
    if (row.position !== expected) {
      return {
        events,
        head: row.position,
        ...triggers,
        broken: {
          position: expected,
          reason: `position ${expected} is missing (next is ${row.position})`,
        },
      };
    }
    let recomputed: string;
    try {
      recomputed = chainHash(previous, decodeRow(row));
    } catch (error) {
      return {
        events,
        head: row.position,
        ...triggers,
        broken: { position: row.position, reason: `unreadable: ${String(error)}` },
      };
    }
    if (recomputed !== row.hash) {
      return {
        events,
        head: row.position,
        ...triggers,
        broken: {
          position: row.position,
          reason: 'hash does not match the content and the previous hash',
        },
      };
    }
    previous = row.hash;
    expected++;
    events++;
  }
  const head = expected - 1;
  const keyed = db.prepare('SELECT max(position) FROM idempotency_keys').pluck().get() as
    | number
    | null;
  return {
    events,
    head,
    ...triggers,
    ...(keyed !== null && keyed > head ? { keysBeyondHead: keyed } : {}),
  };
}
