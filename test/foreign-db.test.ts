import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { APPLICATION_ID } from '../src/stores/sqlite/log-mark.js';
import { openSessionlog } from '../src/stores/sqlite/open-sqlite.js';
import { runCli } from './support/cli.js';
import { useServers } from './support/server.js';
import { useLogFile } from './support/temp-dir.js';

/** Another program's database: a users table, in the rollback journal (or WAL) mode. */
function otherProgramsDatabase(file: string, journal: 'delete' | 'wal' = 'delete'): void {
  const db = new Database(file);
  db.pragma(`journal_mode = ${journal}`);
  db.exec(
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada')",
  );
  db.close();
}

/** The file's bytes and what lies beside it: a change to either is a change. */
function state(file: string) {
  return { bytes: readFileSync(file), beside: readdirSync(dirname(file)).sort() };
}

const applicationId = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('application_id', { simple: true });
  } finally {
    db.close();
  }
};

describe('a file that holds something other than a sessionlog log', () => {
  const logFile = useLogFile();
  const serve = useServers();

  it('serve refuses it, from the CLI and from startServer, and changes nothing', async () => {
    for (const journal of ['delete', 'wal'] as const) {
      const file = `${logFile()}.${journal}`;
      otherProgramsDatabase(file, journal);
      const before = state(file);
      const cli = await runCli('serve', '--db', file, '--port', '0');
      expect(cli.code).toBe(2);
      expect(cli.output).toContain(`${file} is not a sessionlog log`);
      expect(cli.output).toContain('users');
      expect(cli.output).not.toContain('http://');
      await expect(serve({ db: file })).rejects.toThrow(/is not a sessionlog log/);
      expect(state(file)).toEqual(before);
    }
  });

  it('rebuild, verify, events and sessions refuse it and change nothing', async () => {
    otherProgramsDatabase(logFile());
    const before = state(logFile());
    for (const command of ['rebuild', 'verify', 'events', 'sessions']) {
      const { code, output } = await runCli(command, '--db', logFile());
      expect(code, command).toBe(2);
      expect(output, command).toContain(`${logFile()} is not a sessionlog log`);
    }
    expect(state(logFile())).toEqual(before);
  });

  it('a database another program marked as its own is refused even without tables', async () => {
    const db = new Database(logFile());
    db.pragma('application_id = 1234');
    db.close();
    const before = state(logFile());
    await expect(serve({ db: logFile() })).rejects.toThrow(/application_id 0x000004d2/);
    expect(state(logFile())).toEqual(before);
  });

  it('rebuild refuses an empty file and leaves it empty, with nothing beside it', async () => {
    writeFileSync(logFile(), '');
    const before = state(logFile());
    const { code, output } = await runCli('rebuild', '--db', logFile());
    expect(code).toBe(2);
    expect(output).toContain(`no log at ${logFile()}: the file holds nothing`);
    expect(state(logFile())).toEqual(before);
  });
});

describe('the mark of a log', () => {
  const logFile = useLogFile();
  const serve = useServers();

  it('serve makes an empty file a log, marked as sessionlog’s', async () => {
    writeFileSync(logFile(), '');
    const server = await serve({ db: logFile() });
    await server.close();
    expect(applicationId(logFile())).toBe(APPLICATION_ID);
  });

  it('a log of an earlier version, unmarked, still opens, is read, and is marked by serve', async () => {
    const log = openSessionlog({ db: logFile() });
    await log.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux' });
    await log.close();
    // What earlier versions left: the same tables, no application_id.
    const db = new Database(logFile());
    db.pragma('application_id = 0');
    db.close();

    const verify = await runCli('verify', '--db', logFile());
    expect(verify).toMatchObject({ code: 0, output: expect.stringContaining('OK') });
    expect(applicationId(logFile())).toBe(0);
    const server = await serve({ db: logFile() });
    expect(await server.log.store.head()).toBe(1);
    await server.close();
    expect(applicationId(logFile())).toBe(APPLICATION_ID);
  });
});
