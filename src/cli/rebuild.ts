import { openSessionlog } from '../sessionlog.js';
import { type Command, dbFrom, dbOption } from './args.js';

export const rebuild: Command = {
  name: 'rebuild',
  summary: 'rebuild projections from the log',
  usage: `sessionlog rebuild [--db FILE] [--projection NAME]

Replays the whole log into a fresh table for each projection (or only NAME) and swaps it in,
in one transaction.

  --db FILE          the log (default: $SESSIONLOG_DB or ./data/sessionlog.db)
  --projection NAME  only this projection (known: sessions)`,
  options: { ...dbOption, projection: { type: 'string', short: 'p' } },
  async run(values, out) {
    const log = openSessionlog({ db: dbFrom(values) });
    try {
      const names = values.projection === undefined ? ['sessions'] : [values.projection as string];
      for (const name of names) {
        const started = performance.now();
        const { events, rows } = log.projections.rebuild(name);
        const ms = performance.now() - started;
        out.log(`rebuilt ${name}: ${events} events into ${rows} rows in ${ms.toFixed(0)} ms`);
      }
      return 0;
    } finally {
      await log.close();
    }
  },
};
