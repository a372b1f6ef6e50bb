import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runServer } from '../src/server.js';
import { runCli } from './support/cli.js';
import { pgUnavailable, usePgAdmin, usePgSchemas } from './support/postgres.js';

const schemaOf = (url: string) => new URL(url).searchParams.get('schema') as string;

/** Everything in a schema a command could have added to or changed. */
async function contents(client: pg.Client, schema: string) {
  const { rows } = await client.query(
    `SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 ORDER BY c.relname`,
    [schema],
  );
  const functions = await client.query(
    `SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = $1`,
    [schema],
  );
  return { relations: rows, functions: functions.rows };
}

describe.skipIf(pgUnavailable !== undefined)(
  `a PostgreSQL schema that holds something other than a sessionlog log${pgUnavailable ? ` (skipped: ${pgUnavailable})` : ''}`,
  () => {
    const newSchema = usePgSchemas();
    const admin = usePgAdmin();

    it('serve, rebuild, verify, events and sessions refuse it and change nothing in it', async () => {
      const url = newSchema();
      const schema = schemaOf(url);
      const client = await admin();
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`CREATE TABLE ${schema}.users (id serial PRIMARY KEY, name text)`);
      await client.query(`INSERT INTO ${schema}.users (name) VALUES ('ada')`);
      const before = await contents(client, schema);

      await expect(runServer({ db: url, port: 0, maxWatchers: 0, createRate: 0 })).rejects.toThrow(
        /is not a sessionlog log: schema t_\w+ holds tables of another program \(users/,
      );
      for (const command of ['serve', 'rebuild', 'verify', 'events', 'sessions']) {
        const port = command === 'serve' ? ['--port', '0'] : [];
        const { code, output } = await runCli(command, '--db', url, ...port);
        expect(code, command).toBe(2);
        expect(output, command).toContain('is not a sessionlog log');
      }
      expect(await contents(client, schema)).toEqual(before);
      const { rows } = await client.query(`SELECT name FROM ${schema}.users`);
      expect(rows).toEqual([{ name: 'ada' }]);
    });

    it('serve makes a log in an empty schema, and opens it again', async () => {
      const url = newSchema();
      const client = await admin();
      await client.query(`CREATE SCHEMA ${schemaOf(url)}`);
      for (let round = 0; round < 2; round++) {
        const server = await runServer({ db: url, port: 0, maxWatchers: 0, createRate: 0 });
        await server.log.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux' });
        expect(await server.log.store.head()).toBe(round + 1);
        await server.close();
      }
    });
  },
);
