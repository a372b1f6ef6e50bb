import { createReadStream, statSync } from 'node:fs';
import { ImportRefused } from '../events/import-check.js';
import type { ImportBatches } from '../stores/log-backend.js';
import { openLog } from '../stores/open-log.js';
import { type Command, dbFrom, dbOption } from './args.js';
import { checkedInThread } from './import-check-thread.js';
import { progressOn } from './progress.js';

/** `sessionlog import`: an export (`sessionlog events`) into an empty log, chain checked. */
export const importCommand: Command = {
  name: 'import',
  usage: `sessionlog import [--db FILE|URL] [--from FILE]

Reads an NDJSON export (what \`sessionlog events\` prints; standard input without --from)
into an empty log, keeping every position, id, time and hash, and builds the sessions table
(and, in a file, its snapshots). Each line must be an event envelope of a known type with
valid data; positions run 1, 2, 3, … without a gap, each stream's versions likewise, and
every hash is recomputed from the content and the previous hash. Anything else stops the
import (exit 1, naming the line) and the target is left as it was; a file the import
created is removed. The new log has a logId of its own (it is another log, with the same
events). Idempotency keys are not in an export: a retry of a request made to the old log
is not recognised by the new one.

  sessionlog events --db data/sessionlog.db | sessionlog import --db postgres://…

  --db FILE|URL   the log to fill (default: $SESSIONLOG_DB or ./data/sessionlog.db): a file
                  that does not exist yet, an empty one, or a log without events; or a
                  postgres:// URL whose schema holds no events
  --from FILE     the export (default: standard input)`,
  options: { ...dbOption, from: { type: 'string', short: 'f' } },
  async run(values, out) {
    const from = values.from as string | undefined;
    // Read 64 KiB at a time: a chunk of 1 MiB, copied to the checking thread and decoded
    // there, was allocated on fresh pages each time, and faulting them in cost a fifth of the
    // import on a machine whose page faults are dear (see import-check-worker.ts).
    const input =
      from === undefined
        ? (out.input ?? process.stdin)
        : createReadStream(from, { highWaterMark: 1 << 16 });
    const size = from === undefined ? 0 : statSync(from).size;
    const backend = await openLog(dbFrom(values));
    const progress = progressOn(out.progress ?? process.stderr);
    async function* batches(): ImportBatches {
      const checked = checkedInThread(input, { fold: backend.importFold });
      for await (const { head, bytesRead, ...batch } of checked) {
        yield batch;
        progress.update(head, size > 0 ? Math.round((head * size) / bytesRead) : 0);
      }
    }
    try {
      const { events, rows, snapshots, logId, ms } = await backend.importEvents(batches());
      progress.end();
      const made = rows === undefined ? '' : `, ${rows} sessions, ${snapshots} snapshots`;
      const rate = events / (ms / 1000);
      out.log(
        `imported ${events} events (positions 1..${events}${made}) into ${backend.location} (logId ${logId}) in ${ms.toFixed(0)} ms, ${Math.round(rate)} events/s`,
      );
      return 0;
    } catch (error) {
      progress.end();
      if (!(error instanceof ImportRefused)) throw error;
      out.error(`sessionlog import: ${error.message}; nothing was imported`);
      return 1;
    } finally {
      if (from !== undefined) (input as ReturnType<typeof createReadStream>).destroy();
    }
  },
};
