import { openLog } from '../stores/open-log.js';
import { type Command, dbFrom, dbOption } from './args.js';
import { progressOn } from './progress.js';

/** `sessionlog rebuild`: projections and their snapshots made again from the log. */
export const rebuild: Command = {
  name: 'rebuild',
  usage: `sessionlog rebuild [--db FILE] [--projection NAME]

Replays the whole log into a fresh table for each projection (or only NAME) and swaps it in,
with the projection's snapshots dropped and written again from the same fold, in one
transaction. Without --projection it also extends the Merkle tree to the head (a log written
before sessionlog kept one gets it) and checks its root against the events' hashes: its
nodes never change, so it is checked, not made again. The log itself is only read.

  --db FILE|URL      the log (default: $SESSIONLOG_DB or ./data/sessionlog.db), or a
                     postgres:// URL (appends wait while the table is made again)
  --projection NAME  only this projection (known: sessions)`,
  options: { ...dbOption, projection: { type: 'string', short: 'p' } },
  async run(values, out) {
    const log = await openLog(dbFrom(values));
    const progress = progressOn(out.progress ?? process.stderr);
    let reports: Awaited<ReturnType<typeof log.rebuild>>;
    try {
      reports = await log.rebuild(values.projection as string | undefined, (done, total) =>
        progress.update(done, total),
      );
    } finally {
      progress.end();
    }
    for (const { name, events, rows, snapshots, ms, summary } of reports) {
      if (summary !== undefined) {
        out.log(`${summary} (${ms.toFixed(0)} ms)`);
        continue;
      }
      const made = rows === undefined ? '' : ` into ${rows} rows and ${snapshots} snapshots`;
      out.log(`rebuilt ${name}: ${events} events${made} in ${ms.toFixed(0)} ms`);
    }
    return 0;
  },
};
