import { existsSync } from 'node:fs';
import { deflateSync, inflateSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { runCli } from './support/cli.js';
import { useLogFile } from './support/temp-dir.js';
import { tamper, writeTwelveEventLog } from './support/twelve-events.js';
import { appendUncheckedSqlite } from './support/unchecked-append.js';

describe('sessionlog verify', () => {
  const logFile = useLogFile();

  it('checks every snapshot against the fold at its position', async () => {
    await writeTwelveEventLog(logFile());
    const { code, output } = await runCli('verify', '--db', logFile());
    expect(output).toContain(
      'snapshots    sessions: 3 up to position 12 (2 full), each equals the fold at its position',
    );
    expect(code).toBe(0);
  });

  it('finds a snapshot edited behind the log, and rebuild makes it right again', async () => {
    const [first] = await writeTwelveEventLog(logFile());
    const forged = [{ id: first, name: 'forged' }]; // in place of the two rows changed there
    tamper(
      logFile(),
      'UPDATE projection_snapshots SET data = ?, row_count = 1 WHERE position = 8',
      deflateSync(JSON.stringify(forged)),
    );
    const found = await runCli('verify', '--db', logFile());
    // The forged row, and the two rows it dropped.
    expect(found.output).toMatch(
      /snapshots {4}sessions DISAGREES at position 8: row session-\S+ \(3 row\(s\) differ\)/,
    );
    expect(found.output).toContain('FAILED: first disagreement at position 8');
    expect(found.code).toBe(1);

    const rebuilt = await runCli('rebuild', '--db', logFile());
    // The CLI snapshots every 1000 events: none for these 12, and the forged one is gone.
    expect(rebuilt.output).toMatch(/rebuilt sessions: 12 events into 4 rows and 0 snapshots/);
    expect((await runCli('verify', '--db', logFile())).code).toBe(0);
  });

  // Rows are compared part by part, and by their canonical JSON where the parts do not tell:
  // a row written in another key order is the same row; a count written as text is not.
  it('compares snapshot rows by their canonical JSON, whatever the order of their keys', async () => {
    await writeTwelveEventLog(logFile());
    const rewrite = (edit: (row: Record<string, unknown>) => Record<string, unknown>) => {
      const raw = new Database(logFile());
      const { data } = raw
        .prepare('SELECT data FROM projection_snapshots WHERE position = 8')
        .get() as { data: Buffer };
      const rows = JSON.parse(inflateSync(data).toString('utf8')) as Record<string, unknown>[];
      raw
        .prepare('UPDATE projection_snapshots SET data = ? WHERE position = 8')
        .run(deflateSync(JSON.stringify(rows.map(edit))));
      raw.close();
    };
    rewrite((row) => Object.fromEntries(Object.entries(row).reverse()));
    const reordered = await runCli('verify', '--db', logFile());
    expect(reordered.output).toContain('each equals the fold at its position');
    expect(reordered.code).toBe(0);

    // Back in the fold's key order, with the count as text: the parts tell.
    rewrite((row) =>
      Object.fromEntries(
        Object.entries(row)
          .reverse()
          .map(([key, value]) => [key, key === 'fileChanges' ? String(value) : value]),
      ),
    );
    const retyped = await runCli('verify', '--db', logFile());
    expect(retyped.output).toMatch(
      /snapshots {4}sessions DISAGREES at position 8: row session-\S+ \(2 row\(s\) differ\)/,
    );
    expect(retyped.code).toBe(1);
  });

  it('finds an append-only trigger replaced by one that refuses nothing', async () => {
    await writeTwelveEventLog(logFile());
    const raw = new Database(logFile());
    raw.exec(`DROP TRIGGER events_no_update;
      CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT 1; END;`);
    raw.close();
    const { code, output } = await runCli('verify', '--db', logFile());
    expect(output).toContain('append-only  ALTERED triggers: events_no_update');
    expect(output).toContain('FAILED');
    expect(code).toBe(1);
  });

  it('finds a log whose last events were cut off, though what is left chains intact', async () => {
    await writeTwelveEventLog(logFile());
    const raw = new Database(logFile());
    raw.exec('DROP TRIGGER events_no_delete');
    raw.prepare('DELETE FROM events WHERE position > 10').run();
    raw.close();
    const { code, output } = await runCli('verify', '--db', logFile());
    expect(output).toContain('chain        10 events, positions 1..10, every hash intact');
    expect(output).toContain(
      'end          TRUNCATED: idempotency keys name position 12, the log ends at 10',
    );
    expect(output).toContain('(built up to position 12, but the log ends at 10)');
    expect(output).toContain('FAILED: first disagreement at position 11');
    expect(code).toBe(1);
  });

  it('does not compare a table built by another version of the projection, and says so', async () => {
    await writeTwelveEventLog(logFile());
    tamper(logFile(), "UPDATE projections SET version = 99 WHERE name = 'sessions'");
    const { code, output } = await runCli('verify', '--db', logFile());
    expect(output).toContain(
      'projections  sessions was built by projection version 99, this sessionlog has 1: not compared',
    );
    expect(code).toBe(0);
  });

  it('agrees with a log that holds a lone surrogate from before the log refused them, also after rebuild', async () => {
    const before = openSessionlog({ db: logFile(), durability: 'normal' });
    const { session } = await before.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'l' });
    await before.close();
    appendUncheckedSqlite(logFile(), {
      stream: session.id,
      type: 'SessionUpdated',
      data: { name: 'a\ud800b' },
    });
    // Reopened, the table catches up; a snapshot at 2 holds the rename.
    const after = openSessionlog({ db: logFile(), durability: 'normal', snapshotEvery: 2 });
    await after.commands.update(session.id, { summary: 'later' });
    after.projections.catchUpSnapshots();
    await after.close();
    // As a fold made before the fix wrote it: JSON keeps the lone surrogate.
    const raw = new Database(logFile());
    const { data } = raw
      .prepare('SELECT data FROM projection_snapshots WHERE position = 2')
      .get() as {
      data: Buffer;
    };
    const old = inflateSync(data).toString('utf8').replace('a\uFFFDb', 'a\\ud800b');
    expect(old).toContain('"a\\ud800b"');
    raw
      .prepare('UPDATE projection_snapshots SET data = ? WHERE position = 2')
      .run(deflateSync(old));
    raw.close();

    const verified = await runCli('verify', '--db', logFile());
    expect(verified.output).toContain('chain        3 events, positions 1..3, every hash intact');
    expect(verified.output).toContain(
      'projections  sessions at position 3 equals a fresh fold of the log',
    );
    expect(verified.output).toContain('each equals the fold at its position');
    expect(verified.code).toBe(0);
    expect((await runCli('rebuild', '--db', logFile())).code).toBe(0);
    expect((await runCli('verify', '--db', logFile())).code).toBe(0);
    const listed = await runCli('sessions', '--db', logFile());
    expect(listed.output).toContain('a\uFFFDb');
  });

  it('verifies a log made before snapshots existed, read-only, and creates nothing in it', async () => {
    await writeTwelveEventLog(logFile(), 0);
    tamper(logFile(), 'DROP TABLE projection_snapshots');
    const { code, output } = await runCli('verify', '--db', logFile());
    expect(output).toContain('snapshots    sessions: none yet');
    expect(code).toBe(0);
    const raw = new Database(logFile(), { readonly: true });
    const table = raw
      .prepare("SELECT name FROM sqlite_master WHERE name = 'projection_snapshots'")
      .get();
    raw.close();
    expect(table).toBeUndefined();
  });
});

describe('sessionlog rebuild', () => {
  const logFile = useLogFile();

  it('names a missing log and creates none', async () => {
    const { code, output } = await runCli('rebuild', '--db', logFile());
    expect(output).toBe(`sessionlog rebuild: no log at ${logFile()}`);
    expect(code).toBe(2);
    expect(existsSync(logFile())).toBe(false);
  });
});
