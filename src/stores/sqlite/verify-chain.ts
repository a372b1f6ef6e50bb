import { ChainCheck, type ChainReport } from '../../events/chain-check.js';
import { APPEND_ONLY_TRIGGERS, isAppendOnlyTrigger, type SqliteDatabase } from './database.js';
import type { SqliteEventReader } from './reader.js';

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
  // A log written before the tree was kept has no tree yet, nor its triggers (verify says so).
  const expected = APPEND_ONLY_TRIGGERS.filter(
    (name) => hasTreeTable(db) || !name.startsWith('merkle_nodes_'),
  );
  const missingTriggers = expected.filter((name) => !present.has(name));
  const alteredTriggers = expected.filter((name) => {
    const sql = present.get(name);
    return sql !== undefined && !isAppendOnlyTrigger(name, sql);
  });
  const triggers = { missingTriggers, alteredTriggers };
  const check = new ChainCheck();
  for (const row of reader.rows()) if (!check.next(row)) break;
  const { events, head, broken } = check;
  if (broken !== undefined) return { events, head, ...triggers, broken };
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

/** Whether the file holds the tree's table (a log written before it was kept does not). */
export function hasTreeTable(db: SqliteDatabase): boolean {
  return (
    db
      .prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'merkle_nodes'")
      .pluck()
      .get() === 1
  );
}
