import { openLog } from '../stores/open-log.js';
import { type Command, dbFrom } from './args.js';
import { progressOn } from './progress.js';

/** `sessionlog verify`: the log, its triggers, its end, and everything derived from it. */
export const verify: Command = {
  name: 'verify',
  usage: `sessionlog verify [--db FILE|URL | --from EXPORT.ndjson] [--checkpoint FILE [--key FILE]]

Recomputes the hash chain over every stored event, checks that the append-only triggers are
in place and unaltered, that nothing records a position beyond the log's end, and compares
each projection's table and every one of its snapshots with a fresh fold of the log.
Opens the file read-only and changes nothing. Exits 0 when all agree, 1 naming the first
position that disagrees (\`sessionlog rebuild\` makes tables and snapshots again from the log;
nothing repairs the log itself).

On PostgreSQL (--db postgres://…) the same checks run in one read-only snapshot, with the
head row in place of the snapshots (there are none in PostgreSQL).

With --checkpoint, also proves that the log extends a checkpoint saved earlier (what
GET /api/checkpoint or \`sessionlog checkpoint\` printed): the Merkle root of the log's first
N events, computed from the events themselves, must be the checkpoint's. A log rewritten
with every hash recomputed fails (REWRITTEN), so does one cut short (CUT). The checkpoint
must name this log (its origin holds the logId). With --key its signature must verify too;
without, the output says that it was not checked.

With --from, checks an export (\`sessionlog events\` of the whole log) with no database: the
chain over its lines and, with --checkpoint, the root. An export does not name its log: the
checkpoint's origin must then be the name of the --key (which names the log), and is taken
as it is without one.

  --db FILE|URL        the log (default: $SESSIONLOG_DB or ./data/sessionlog.db)
  --from FILE          an NDJSON export instead of a log
  --checkpoint FILE    a checkpoint note saved earlier
  --key FILE           the log's verifier key (GET /api/checkpoint/key), to check the
                       checkpoint's signature`,
  options: {
    db: { type: 'string', short: 'd' },
    from: { type: 'string' },
    checkpoint: { type: 'string' },
    key: { type: 'string' },
  },
  async run(values, out) {
    const from = values.from as string | undefined;
    const checkpointFile = values.checkpoint as string | undefined;
    const keyFile = values.key as string | undefined;
    if (from !== undefined && values.db !== undefined) {
      throw new Error('--db and --from exclude each other');
    }
    if (keyFile !== undefined && checkpointFile === undefined) {
      throw new Error('--key checks a checkpoint: give it with --checkpoint');
    }
    const checkpoint =
      checkpointFile === undefined ? undefined : await savedCheckpoint(checkpointFile, keyFile);
    if (from !== undefined) {
      return (await import('./verify-export.js')).verifyExport(from, out, checkpoint?.saved);
    }
    const log = await openLog(dbFrom(values));
    const progress = progressOn(out.progress ?? process.stderr);
    try {
      return await log.verify(
        {
          // A report line replaces the progress line, which comes back with the next update.
          log: (line) => {
            progress.end();
            out.log(line);
          },
          error: (line) => {
            progress.end();
            out.error(line);
          },
          reached: (done, total, label) => progress.update(done, total, label),
        },
        checkpoint?.check(),
      );
    } finally {
      progress.end();
    }
  },
};

/**
 * The checkpoint --checkpoint names, read (and its signature checked with --key), and the
 * check of the log against it. Loaded when the flag is given, as --from's reader is: the
 * Merkle proofs and the note's signature are not what a plain verify starts with.
 */
async function savedCheckpoint(file: string, keyFile: string | undefined) {
  const { readSavedCheckpoint, checkAgainstCheckpoint } = await import('./checkpoint-check.js');
  const saved = await readSavedCheckpoint(file, keyFile);
  return { saved, check: () => checkAgainstCheckpoint(saved) };
}
