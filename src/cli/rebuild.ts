import { existsSync } from 'node:fs';
import { sessionsProjection } from '../projections/sessions-projection.js';
import { isPostgresUrl, openPostgres } from '../stores/postgres/database.js';
import { openProjection } from '../stores/postgres/open-postgres.js';
import { PgSessions } from '../stores/postgres/sessions-table.js';
import { openSessionlog } from '../stores/sqlite/open-sqlite.js';
import { type Command, dbFrom, dbOption, type Output } from './args.js';

/** `sessionlog rebuild`: projections and their snapshots made again from the log. */
export const rebuild: Command = {
  name: 'rebuild',
  summary: 'rebuild projections and their snapshots from the log',
  usage: `sessionlog rebuild [--db FILE] [--projection NAME]

Replays the whole log into a fresh table for each projection (or only NAME) and swaps it in,
with the projection's snapshots dropped and written again from the same fold, in one
transaction. The log itself is only read.

  --db FILE|URL      the log (default: $SESSIONLOG_DB or ./data/sessionlog.db), or a
                     postgres:// URL (appends wait while the table is made again)
  --projection NAME  only this projection (known: sessions)`,
  options: { ...dbOption, projection: { type: 'string', short: 'p' } },
  async run(values, out) {
    const file = dbFrom(values);
    if (isPostgresUrl(file)) return rebuildPostgres(file, values.projection, out);
    // A mistyped path must not leave an empty log behind it.
    if (file !== ':memory:' && !existsSync(file)) throw new Error(`no log at ${file}`);
    // Only an existing log: an empty file is not made one, another program's is not touched.
    const log = openSessionlog({ db: file, create: false });
    try {
      const names = values.projection === undefined ? ['sessions'] : [values.projection as string];
      for (const name of names) {
        const started = performance.now();
        const { events, rows, snapshots } = log.projections.rebuild(name);
        const ms = performance.now() - started;
        out.log(
          `rebuilt ${name}: ${events} events into ${rows} rows and ${snapshots} snapshots in ${ms.toFixed(0)} ms`,
        );
      }
      return 0;
    } finally {
      await log.close();
    }
  },
};

/** The sessions table made again from the log, with appends held off meanwhile (the head's lock). */
async function rebuildPostgres(url: string, projection: unknown, out: Output): Promise<number> {
  if (projection !== undefined && projection !== sessionsProjection.name) {
    throw new Error(`no projection ${String(projection)} (known: ${sessionsProjection.name})`);
  }
  const database = await openPostgres(url, {
    create: false,
    applicationName: 'sessionlog rebuild',
  });
  try {
    const started = performance.now();
    const { head } = await openProjection(database, new PgSessions(database.pool), {
      rebuild: true,
    });
    const ms = performance.now() - started;
    out.log(`rebuilt ${sessionsProjection.name}: ${head} events in ${ms.toFixed(0)} ms`);
    return 0;
  } finally {
    await database.pool.end();
  }
}
