import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runServer } from '../src/server.js';
import { openPgSessionlog } from '../src/stores/postgres/open-postgres.js';
import { runCli } from './support/cli.js';
import { pgUnavailable, usePgAdmin, usePgSchemas } from './support/postgres.js';
import { writeTwelveEvents } from './support/twelve-events.js';
import { appendUncheckedPg } from './support/unchecked-append.js';

async function writeLog(url: string): Promise<string[]> {
  const log = await openPgSessionlog({ url, durability: 'normal' });
  try {
    return await writeTwelveEvents(log.commands);
  } finally {
    await log.close();
  }
}

const schemaOf = (url: string) => new URL(url).searchParams.get('schema') as string;

describe.skipIf(pgUnavailable !== undefined)(
  `the CLI on a PostgreSQL log${pgUnavailable ? ` (skipped: ${pgUnavailable})` : ''}`,
  () => {
    const newSchema = usePgSchemas();
    const admin = usePgAdmin();

    it('prints with events --db exactly what GET /api/events answers as NDJSON', async () => {
      const url = newSchema();
      const server = await runServer({ db: url, port: 0, maxWatchers: 0, createRate: 0 });
      try {
        for (let i = 0; i < 60; i++) {
          await server.log.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux' });
        }
        const [first] = (await server.log.listSessions()).sessions;
        for (let i = 0; i < 40; i++) {
          await server.log.commands.recordFileChange(first?.id as string, {
            change: 'modified',
            path: `f${i}.txt`,
            kind: 'file',
          });
        }
        const filters = [[], ['--after', '37'], ['--types', 'FileChanged'], ['--after', '99']];
        for (const flags of filters) {
          const query = new URLSearchParams();
          if (flags[0] === '--after') query.set('after', flags[1] as string);
          if (flags[0] === '--types') query.set('types', flags[1] as string);
          const http = await fetch(`${server.url}/api/events?${query}`, {
            headers: { accept: 'application/x-ndjson' },
          });
          const cli = await runCli('events', '--db', url, ...flags);
          expect(cli.code).toBe(0);
          expect(cli.data).toBe(await http.text());
        }
        expect((await runCli('events', '--db', url)).data.split('\n').length - 1).toBe(100);
      } finally {
        await server.close();
      }
    });

    it('verifies an intact log and names what an intruder changed', async () => {
      const url = newSchema();
      const schema = schemaOf(url);
      const [id] = await writeLog(url);
      const intact = await runCli('verify', '--db', url);
      expect(intact.code).toBe(0);
      expect(intact.output).toContain('chain        12 events, positions 1..12, every hash intact');
      expect(intact.output).toContain('append-only  triggers in place');
      expect(intact.output).toContain('projections  sessions at position 12 equals a fresh fold');
      expect(intact.output).toContain('history      sessions: every version, at its position');

      const db = await admin();
      // The table behind the log's back: verify names the row, rebuild makes it right again.
      await db.query(`UPDATE ${schema}.sessions SET name = 'forged' WHERE id = $1`, [id]);
      const forged = await runCli('verify', '--db', url);
      expect(forged.code).toBe(1);
      expect(forged.output).toContain(`projections  sessions DISAGREES at position 9: row ${id}`);
      // The history asOf reads, likewise: a forged past version is named at its position.
      await db.query(
        `UPDATE ${schema}.sessions_history SET row = jsonb_set(row::jsonb, '{name}', '"forged"')::json
         WHERE id = $1 AND position = 2`,
        [id],
      );
      const past = await runCli('verify', '--db', url);
      expect(past.code).toBe(1);
      expect(past.output).toContain(`history      sessions DISAGREES at position 2: row ${id}`);
      const rebuilt = await runCli('rebuild', '--db', url);
      expect(rebuilt.output).toMatch(/^rebuilt sessions: 12 events/);
      expect((await runCli('verify', '--db', url)).code).toBe(0);

      // The database refuses an edit of the log; one who disables the trigger is seen twice.
      await expect(
        db.query(`UPDATE ${schema}.events SET type = 'SessionEnded' WHERE position = 5`),
      ).rejects.toThrow(/append-only: UPDATE refused/);
      await expect(db.query(`TRUNCATE ${schema}.events CASCADE`)).rejects.toThrow(
        /append-only: TRUNCATE refused/,
      );
      await db.query(`ALTER TABLE ${schema}.events DISABLE TRIGGER events_append_only`);
      await db.query(`UPDATE ${schema}.events SET data = '{"name":"forged"}' WHERE position = 6`);
      const tampered = await runCli('verify', '--db', url);
      expect(tampered.code).toBe(1);
      expect(tampered.output).toContain(
        'chain        BROKEN at position 6: hash does not match the content and the previous hash',
      );
      expect(tampered.output).toContain('append-only  ALTERED triggers: events_append_only');
      expect(tampered.output).toContain('FAILED: first disagreement at position 6');
    });

    it('names a history row the fold never made: of no session, or past the head', async () => {
      // Each page's history is looked up by the sessions it folded; a row of another id shows
      // only in the history's count, and is then named by a scan of the pages' ranges.
      const url = newSchema();
      const schema = schemaOf(url);
      const [id] = await writeLog(url);
      const db = await admin();
      const forge = (who: string, position: number) =>
        db.query(
          `INSERT INTO ${schema}.sessions_history (id, position, row)
           SELECT $2, $3, row FROM ${schema}.sessions_history WHERE id = $1 AND position = 2`,
          [id, who, position],
        );
      await forge('ghost', 5);
      const ghost = await runCli('verify', '--db', url);
      expect(ghost.code).toBe(1);
      expect(ghost.output).toContain('history      sessions DISAGREES at position 5: row ghost');
      await db.query(`DELETE FROM ${schema}.sessions_history WHERE id = 'ghost'`);
      expect((await runCli('verify', '--db', url)).code).toBe(0);
      await forge(id as string, 99);
      const late = await runCli('verify', '--db', url);
      expect(late.code).toBe(1);
      expect(late.output).toContain(`history      sessions DISAGREES at position 99: row ${id}`);
    });

    it('agrees with a log that holds a lone surrogate from before the log refused them, also after rebuild', async () => {
      const url = newSchema();
      await writeLog(url);
      // PostgreSQL's json keeps the escape as written; its text columns cannot hold it.
      await appendUncheckedPg(await admin(), schemaOf(url), {
        stream: `session-${randomUUID()}`,
        type: 'SessionStarted',
        data: { cwd: '/tmp/a\udc00', hostname: 'h', platform: 'linux', name: 'b\ud800' },
      });
      const reopened = await openPgSessionlog({ url, durability: 'normal' });
      const other = await reopened.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'l' });
      await reopened.commands.update(other.session.id, { summary: 'later' });
      await reopened.close();

      const verified = await runCli('verify', '--db', url);
      expect(verified.output).toContain(
        'chain        15 events, positions 1..15, every hash intact',
      );
      expect(verified.output).toContain('projections  sessions at position 15 equals a fresh fold');
      expect(verified.output).toContain('history      sessions: every version, at its position');
      expect(verified.code).toBe(0);
      expect((await runCli('rebuild', '--db', url)).code).toBe(0);
      expect((await runCli('verify', '--db', url)).code).toBe(0);
      const asOf = await runCli('sessions', '--db', url, '--as-of', '13');
      expect(asOf.output).toContain('b\uFFFD');
    });

    it('finds a gap, and a log whose end was cut off', async () => {
      const url = newSchema();
      const schema = schemaOf(url);
      await writeLog(url);
      const db = await admin();
      await db.query(`ALTER TABLE ${schema}.events DISABLE TRIGGER events_append_only`);
      await db.query(`DELETE FROM ${schema}.events WHERE position >= 11`);
      const cut = await runCli('verify', '--db', url);
      expect(cut.code).toBe(1);
      expect(cut.output).toContain(
        'end          TRUNCATED: idempotency keys name position 12, the log ends at 10',
      );
      expect(cut.output).toContain('head         WRONG: log_head says position 12');
      await db.query(`DELETE FROM ${schema}.events WHERE position = 4`);
      const gap = await runCli('verify', '--db', url);
      expect(gap.output).toContain('chain        BROKEN at position 4: position 4 is missing');
    });

    it('prints the sessions table now and as of a past position, as the API does', async () => {
      const url = newSchema();
      const ids = await writeLog(url);
      const server = await runServer({ db: url, port: 0, maxWatchers: 0 });
      try {
        for (const [flags, query] of [
          [[], ''],
          [['--as-of', '5'], '?asOf=5'],
          [['--as-of', '8', '--status', 'pending'], '?asOf=8&status=pending'],
        ] as const) {
          const cli = await runCli('sessions', '--db', url, ...flags);
          expect(cli.code).toBe(0);
          const api = await (await fetch(`${server.url}/api/sessions${query}`)).json();
          expect(JSON.parse(cli.output)).toEqual(api);
        }
        // Right after position 5: three sessions started, the first two renamed.
        const atFive = JSON.parse((await runCli('sessions', '--db', url, '--as-of', '5')).output);
        expect(atFive.position).toBe(5);
        const names = Object.fromEntries(
          atFive.sessions.map((s: { id: string; name: string | null }) => [s.id, s.name]),
        );
        expect(names).toEqual({
          [ids[0] as string]: 's0',
          [ids[1] as string]: 's1',
          [ids[2] as string]: null,
        });
        const beyond = await runCli('sessions', '--db', url, '--as-of', '13');
        expect(beyond.code).toBe(2);
        expect(beyond.output).toContain("--as-of 13 is beyond the log's head (12)");
      } finally {
        await server.close();
      }
    });

    it('creates nothing when pointed at a schema without a log', async () => {
      const url = newSchema();
      for (const command of ['verify', 'events', 'rebuild', 'sessions']) {
        const { code, output } = await runCli(command, '--db', url);
        expect(code).toBe(2);
        expect(output).toContain('no sessionlog log at');
      }
      const db = await admin();
      const { rows } = await db.query(
        'SELECT 1 FROM information_schema.schemata WHERE schema_name = $1',
        [schemaOf(url)],
      );
      expect(rows).toEqual([]);
    });
  },
);

describe('serve on a PostgreSQL URL that does not answer', () => {
  it('refuses to start, naming the database it could not reach', async () => {
    const { code, output } = await runCli(
      'serve',
      '--db',
      'postgres://postgres:secret@127.0.0.1:1/test',
      '--port',
      '0',
    );
    expect(code).toBe(2);
    expect(output).toContain(
      'cannot reach PostgreSQL at postgres://postgres@127.0.0.1:1/test: connect ECONNREFUSED',
    );
    // The password is not printed.
    expect(output).not.toContain('secret');
  });
});
