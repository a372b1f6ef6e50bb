import { openLog } from '../stores/open-log.js';
import { type Command, dbFrom, dbOption } from './args.js';
import { progressOn } from './progress.js';

/** `sessionlog verify`: the log, its triggers, its end, and everything derived from it. */
export const verify: Command = {
  name: 'verify',
  summary: 'check the hash chain, the append-only triggers, every projection and its snapshots',
  usage: `sessionlog verify [--db FILE|URL]

Recomputes the hash chain over every stored event, checks that the append-only triggers are
in place and unaltered, that nothing records a position beyond the log's end, and compares
each projection's table and every one of its snapshots with a fresh fold of the log.
Opens the file read-only and changes nothing. Exits 0 when all agree, 1 naming the first
position that disagrees (\`sessionlog rebuild\` makes tables and snapshots again from the log;
nothing repairs the log itself).

On PostgreSQL (--db postgres://…) the same checks run in one read-only snapshot, with the
head row in place of the snapshots (there are none in PostgreSQL).

  --db FILE|URL   the log (default: $SESSIONLOG_DB or ./data/sessionlog.db)`,
  options: dbOption,
  async run(values, out) {
    const progress = progressOn(out.progress ?? process.stderr);
    try {
      return await openLog(dbFrom(values)).verify({
        // A report line replaces the progress line, which comes back with the next update.
        log: (line) => {
          progress.end();
          out.log(line);
        },
        error: (line) => {
          progress.end();
          out.error(line);
        },
        reached: (done, total) => progress.update(done, total),
      });
    } finally {
      progress.end();
    }
  },
};
