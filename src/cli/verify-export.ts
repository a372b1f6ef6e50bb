import { createReadStream } from 'node:fs';
import { PrefixRoot } from '../checkpoints/prefix-root.js';
import { ChainCheck } from '../events/chain-check.js';
import type { ReportOutput } from '../stores/log-backend.js';
import { conclude } from '../stores/verify-report.js';
import { reportOutcome, type SavedCheckpoint, trustCheckpoint } from './checkpoint-check.js';
import { eventRowFromLine } from './export-line.js';
import { NdjsonReadError, readNdjsonLines } from './ndjson-reader.js';

/**
 * `verify --from EXPORT.ndjson`: an export checked with no database, as an auditor handed a
 * file checks it. One pass: the chain (positions 1, 2, 3, … each hash recomputed) and, with a
 * checkpoint, the root of the first N events. An export is the whole log: one made with
 * `--after` or a filter does not chain from the start, and is reported so.
 */
export async function verifyExport(
  file: string,
  out: ReportOutput,
  saved: SavedCheckpoint | undefined,
): Promise<number> {
  out.log(`export ${file}`);
  // Refused before the file is read: a checkpoint refused needs no root.
  const checkpoint = saved === undefined ? undefined : trustCheckpoint(saved, undefined, out);
  const prefix = checkpoint === undefined ? undefined : new PrefixRoot(checkpoint.size);
  const chain = new ChainCheck();
  let unreadable: { line: number; reason: string } | undefined;
  let intact = true;
  let brokenLine = 0;
  try {
    for await (const next of readNdjsonLines(createReadStream(file))) {
      let row: ReturnType<typeof eventRowFromLine>;
      try {
        row = eventRowFromLine(next.text);
      } catch (error) {
        unreadable = { line: next.line, reason: (error as Error).message };
        break;
      }
      if (intact && !chain.next(row)) {
        intact = false;
        brokenLine = next.line;
      }
      prefix?.add(row.position, row.hash);
      // Past a break only the checkpoint's leaves are still wanted.
      if (!intact && prefix?.wants !== true) break;
    }
  } catch (error) {
    if (error instanceof NdjsonReadError) unreadable = { line: error.line, reason: 'not UTF-8' };
    else if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      out.error(`sessionlog verify: no export at ${file}`);
      return 2;
    } else throw error;
  }
  const bad: number[] = [];
  if (unreadable !== undefined && intact) {
    bad.push(chain.events + 1);
    out.log(
      `chain        UNREADABLE at line ${unreadable.line} (position ${chain.events + 1}): ${unreadable.reason}`,
    );
  } else if (chain.broken === undefined) {
    out.log(`chain        ${chain.events} events, positions 1..${chain.head}, every hash intact`);
  } else {
    bad.push(chain.broken.position);
    out.log(
      `chain        BROKEN at position ${chain.broken.position} (line ${brokenLine}): ${chain.broken.reason}`,
    );
  }
  if (checkpoint !== undefined && prefix !== undefined) {
    if (unreadable !== undefined && prefix.wants) {
      bad.push(prefix.leaves + 1);
      out.log(
        `extends      not compared: line ${unreadable.line} is unreadable, within the checkpoint's ${checkpoint.size} events`,
      );
    } else bad.push(...reportOutcome(checkpoint, prefix.compare(checkpoint.root), out));
  } else if (saved !== undefined) bad.push(0);
  return conclude(bad, out);
}
