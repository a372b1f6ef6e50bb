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

  it('makes the sessions indexes of an older log again in the order new ones have, and reads newest first', async () => {
    // A second apart: sessions started in the same millisecond would be ordered by their
    // random ids, not by the order they were started in.
    let seconds = 0;
    const clock = () => {
      seconds++;
      return new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
    };
    const first = openSessionlog({ db: logFile(), clock });
    for (const name of ['a', 'b', 'c']) {
      await first.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux', name });
    }
    await first.close();
    // As a sessionlog before issue 18 made them: in descending order.
    const old = new Database(logFile());
    old.exec(`DROP INDEX sessions_by_start; DROP INDEX sessions_by_activity;
      CREATE INDEX sessions_by_start ON sessions ("started_at" DESC, "id") WHERE "deleted_at" IS NULL;
      CREATE INDEX sessions_by_activity ON sessions ("last_activity_at" DESC, "id" DESC) WHERE "deleted_at" IS NULL;`);
    old.close();
    const log = openSessionlog({ db: logFile() });
    const indexes = () =>
      new Database(logFile(), { readonly: true })
        .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sessions'")
        .pluck()
        .all()
        .filter((sql) => sql !== null)
        .join('\n');
    expect(indexes()).not.toMatch(/"started_at" DESC|"last_activity_at" DESC/);
    const { sessions } = await log.listSessions();
    expect(sessions.map((s) => s.name)).toEqual(['c', 'b', 'a']);
    const page = await log.pageSessions({ limit: 2 });
    expect(page.sessions.map((s) => s.name)).toEqual(['c', 'b']);
    await log.close();
  });
});
