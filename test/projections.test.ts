import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sessionEventTypes } from '../src/events/schemas.js';
import { sessionsProjection } from '../src/projections/sessions-projection.js';
import type { Sessionlog } from '../src/sessions/sessionlog.js';
import { openDatabase } from '../src/stores/sqlite/database.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { SqliteProjections } from '../src/stores/sqlite/projections.js';
import { SqliteEventReader } from '../src/stores/sqlite/reader.js';
import { SqliteEventStore } from '../src/stores/sqlite/store.js';
import { runCli } from './support/cli.js';
import { useLogFile } from './support/temp-dir.js';

/** A small history touching every event type. */
async function writeHistory(log: Sessionlog): Promise<string[]> {
  const start = (name: string) =>
    log.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux', name });
  const a = (await start('a')).session.id;
  const b = (await start('b')).session.id;
  const c = (await start('c')).session.id;
  await log.commands.update(a, { status: 'in_progress', summary: 'working' });
  await log.commands.recordFileChange(a, { change: 'created', path: 'src/x.ts', kind: 'file' });
  await log.commands.recordWatchFailure(b, { error: 'ENOSPC' });
  await log.commands.end(b, { status: 'failed', reason: 'crashed' });
  await log.commands.delete(c);
  await log.commands.end(a, { status: 'completed', summary: 'done' });
  return [a, b, c];
}

describe('the indexes of a log made by an older sessionlog', () => {
  const logFile = useLogFile();

  it('are added at open, without a rebuild', async () => {
    const log = openSessionlog({ db: logFile(), durability: 'normal' });
    await writeHistory(log);
    await log.close();
    const old = new Database(logFile());
    old.exec(
      'DROP INDEX sessions_by_activity; DROP INDEX events_by_stream; DROP INDEX events_by_type',
    );
    old.close();
    const reopened = openSessionlog({ db: logFile(), durability: 'normal' });
    expect(reopened.opened).toEqual({ rebuilt: [], caughtUp: [] });
    await reopened.close();
    const db = new Database(logFile(), { readonly: true });
    const names = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite%' ORDER BY name",
      )
      .pluck()
      .all();
    db.close();
    expect(names).toEqual(
      expect.arrayContaining(['events_by_stream', 'events_by_type', 'sessions_by_activity']),
    );
  });
});

describe('the sessions projection', () => {
  const logFile = useLogFile();

  it('catches up at start with events appended while it was not attached', async () => {
    const db = openDatabase(logFile());
    const bare = new SqliteEventStore(db);
    await bare.append('s1', [
      { type: 'SessionStarted', data: { cwd: '/tmp', hostname: 'h', platform: 'p' } },
    ]);
    db.close();
    const log = openSessionlog({ db: logFile() });
    expect(log.opened.rebuilt).toEqual(['sessions']);
    await log.commands.update('s1', { name: 'live' });
    await log.close();

    const raw = new Database(logFile());
    raw.prepare("UPDATE projections SET position = 1 WHERE name = 'sessions'").run();
    raw.prepare("UPDATE sessions SET name = NULL, version = 1 WHERE id = 's1'").run();
    raw.close();
    const reopened = openSessionlog({ db: logFile() });
    expect(reopened.opened.caughtUp).toEqual(['sessions']);
    expect(reopened.sessions.get('s1')).toMatchObject({ name: 'live', version: 2 });
    await reopened.close();
  });

  it('is rebuilt from the log into a fresh table when its version changes', async () => {
    const log = openSessionlog({ db: logFile() });
    await writeHistory(log);
    const before = log.sessions.list();
    await log.close();

    const db = openDatabase(logFile());
    const reader = new SqliteEventReader(db, sessionEventTypes);
    const v2 = { ...sessionsProjection, version: 2 };
    const projections = new SqliteProjections(db, reader, [v2]);
    expect(projections.open()).toEqual({ rebuilt: ['sessions'], caughtUp: [] });
    expect(projections.checkpoint('sessions')).toEqual({ version: 2, position: 9 });
    expect(projections.table(v2).list()).toEqual(before);
    expect(projections.open()).toEqual({ rebuilt: [], caughtUp: [] });
    db.close();
  });

  it('equals a fresh fold of the log after a rebuild', async () => {
    const log = openSessionlog({ db: logFile() });
    const [a, b, c] = await writeHistory(log);
    const live = [...log.sessions.rows()];
    expect(log.projections.rebuild('sessions')).toEqual({ events: 9, rows: 3, snapshots: 0 });
    expect([...log.sessions.rows()]).toEqual(live);
    expect(
      log.sessions
        .list()
        .map((s) => s.id)
        .sort(),
    ).toEqual([a, b].sort());
    expect(log.sessions.get(c as string)?.deletedAt).not.toBeNull();
    expect(log.projections.verify()).toEqual([]);
    await log.close();
  });

  it('shows the table as it was right after any past position', async () => {
    const log = openSessionlog({ db: logFile() });
    const snapshots: unknown[] = [[]];
    const original = log.store.append.bind(log.store);
    log.store.append = async (...args) => {
      const result = await original(...args);
      snapshots[result.position] = log.sessions.list();
      return result;
    };
    await writeHistory(log);
    for (let position = 0; position < snapshots.length; position++) {
      const asOf = log.projections.asOf(sessionsProjection, position, (table) => table.list());
      expect(asOf, `as of position ${position}`).toEqual(snapshots[position]);
    }
    await log.close();
  });

  it('is found out by verify when its table is edited behind the log', async () => {
    const log = openSessionlog({ db: logFile() });
    const [a] = await writeHistory(log);
    await log.close();
    expect((await runCli('verify', '--db', logFile())).code).toBe(0);

    const raw = new Database(logFile());
    raw.prepare("UPDATE sessions SET status = 'in_progress' WHERE id = ?").run(a);
    raw.close();
    const { code, output } = await runCli('verify', '--db', logFile());
    expect(code).toBe(1);
    expect(output).toContain(`sessions DISAGREES at position 9: row ${a}`);
  });
});

describe('verify', () => {
  const logFile = useLogFile();

  it('passes on an untouched log and names the position of an event edited behind the store', async () => {
    const log = openSessionlog({ db: logFile() });
    await writeHistory(log);
    await log.close();
    const healthy = await runCli('verify', '--db', logFile());
    expect(healthy.output).toMatch(/9 events, positions 1\.\.9, every hash intact/);
    expect(healthy.code).toBe(0);

    const raw = new Database(logFile());
    raw.exec('DROP TRIGGER events_no_update');
    raw
      .prepare(
        `UPDATE events SET data = json_set(data, '$.path', 'src/evil.ts') WHERE position = 5`,
      )
      .run();
    raw.close();
    const { code, output } = await runCli('verify', '--db', logFile());
    expect(code).toBe(1);
    expect(output).toContain('BROKEN at position 5');
    expect(output).toContain('MISSING triggers: events_no_update');
    expect(output).toContain('FAILED: first disagreement at position 5');
  });

  it('finds a deleted event as a gap in the positions', async () => {
    const log = openSessionlog({ db: logFile() });
    await writeHistory(log);
    await log.close();
    const raw = new Database(logFile());
    raw.exec('DROP TRIGGER events_no_delete');
    raw.prepare('DELETE FROM events WHERE position = 4').run();
    raw.close();
    const { code, output } = await runCli('verify', '--db', logFile());
    expect(code).toBe(1);
    expect(output).toContain('BROKEN at position 4: position 4 is missing');
  });

  it('says clearly when there is no log at that path, and creates none', async () => {
    const { code, output } = await runCli('verify', '--db', logFile());
    expect(code).toBe(2);
    expect(output).toContain(`no log at ${logFile()}`);
  });
});
