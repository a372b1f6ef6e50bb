import { randomUUID } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL the bench uses: `SESSIONLOG_BENCH_PG`, else the tests' `SESSIONLOG_TEST_PG`,
 * else this machine's default (127.0.0.1:5432, database `test`, user `postgres`).
 */
export const BENCH_PG_URL =
  process.env.SESSIONLOG_BENCH_PG ??
  process.env.SESSIONLOG_TEST_PG ??
  'postgres://postgres@127.0.0.1:5432/test';

/** Why the PostgreSQL figures cannot be measured, or undefined when the database answers. */
export async function pgUnreachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: BENCH_PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL not reachable at ${BENCH_PG_URL} (${String(error)}): set SESSIONLOG_BENCH_PG`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Fresh schemas for the bench's logs (`--db` URLs), each dropped by `dropAll`. */
export function benchSchemas() {
  const made: string[] = [];
  return {
    /** A URL whose log lives in a schema of its own, created on first use. */
    fresh(): string {
      const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      made.push(schema);
      const url = new URL(BENCH_PG_URL);
      url.searchParams.set('schema', schema);
      return url.toString();
    },
    async dropAll(): Promise<void> {
      const client = new pg.Client({ connectionString: BENCH_PG_URL });
      await client.connect();
      try {
        for (const schema of made.splice(0)) {
          await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        }
      } finally {
        await client.end();
      }
    },
  };
}
