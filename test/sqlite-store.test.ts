import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { started } from './support/events.js';
import { useLogFile } from './support/temp-dir.js';

// What only the SQLite log does: its file's own guards. What every log does is the store
// contract, in store.test.ts.
describe('the SQLite log', () => {
  const logFile = useLogFile();

  it('refuses UPDATE and DELETE of an event row in the database itself', async () => {
    const log = openSessionlog({ db: logFile() });
    await log.store.append('a', [started]);
    await log.close();
    const db = new Database(logFile());
    expect(() => db.prepare("UPDATE events SET data = '{}' WHERE position = 1").run()).toThrow(
      /append-only/,
    );
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(1);
    db.close();
  });
});
