import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';

/**
 * The PostgreSQL the tests use: `SESSIONLOG_TEST_PG` or this machine's default
 * (127.0.0.1:5432, database `test`, user `postgres`, trust auth).
 */
export const PG_URL = process.env.SESSIONLOG_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why the PostgreSQL suites skip, or undefined when the database answers. */
export const pgUnavailable: string | undefined = await probe();

async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    const reason = `PostgreSQL not reachable at ${PG_URL} (${String(error)}): set SESSIONLOG_TEST_PG to run these tests`;
    console.warn(`skipping: ${reason}`);
    return reason;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A fresh schema per call, dropped after the file's tests: returns the `--db` URL that puts a
 * log in it (`…?schema=NAME`). Every test gets a log of its own.
 */
export function usePgSchemas(): () => string {
  const made: string[] = [];
  afterAll(async () => {
    if (made.length === 0) return;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      for (const schema of made) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  });
  return () => {
    const schema = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    made.push(schema);
    return pgUrl(schema);
  };
}

export function pgUrl(schema: string): string {
  const url = new URL(PG_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/** A plain connection to the test database, closed after the file's tests. */
export function usePgAdmin(): () => Promise<pg.Client> {
  const clients: pg.Client[] = [];
  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => {});
  });
  return async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    clients.push(client);
    return client;
  };
}
