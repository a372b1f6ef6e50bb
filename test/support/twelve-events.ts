import Database from 'better-sqlite3';
import type { SessionCommands } from '../../src/sessions/session-commands.js';
import { openSessionlog } from '../../src/stores/sqlite/open-sqlite.js';

/**
 * Twelve events over four sessions (start, rename, and the ends last, under idempotency
 * keys): what the verify suites tamper with. Returns the sessions' ids.
 */
export async function writeTwelveEvents(commands: SessionCommands): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const { session } = await commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux' });
    ids.push(session.id);
    await commands.update(session.id, { name: `s${i}` });
  }
  for (const [i, id] of ids.entries()) {
    await commands.end(id, { status: 'completed' }, { idempotencyKey: `end-${i}` });
  }
  return ids;
}

/** The twelve events in a new log file, snapshots every `snapshotEvery` positions written. */
export async function writeTwelveEventLog(file: string, snapshotEvery = 4): Promise<string[]> {
  const log = openSessionlog({ db: file, durability: 'normal', snapshotEvery });
  try {
    const ids = await writeTwelveEvents(log.commands);
    log.projections.catchUpSnapshots();
    return ids;
  } finally {
    await log.close();
  }
}

/** Edits the file behind sessionlog's back, as an intruder with write access would. */
export function tamper(file: string, sql: string, ...params: unknown[]): void {
  const raw = new Database(file);
  raw.prepare(sql).run(...params);
  raw.close();
}
