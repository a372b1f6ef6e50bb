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
  const missingTriggers = APPEND_ONLY_TRIGGERS.filter((name) => !present.has(name));
  const alteredTriggers = APPEND_ONLY_TRIGGERS.filter((name) => {
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
