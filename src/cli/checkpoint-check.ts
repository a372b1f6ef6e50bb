import { readFile } from 'node:fs/promises';
import {
  type Checkpoint,
  checkpointOrigin,
  openCheckpoint,
  parseCheckpoint,
} from '../checkpoints/checkpoint.js';
import { NoteError, type NoteFailure } from '../checkpoints/note-error.js';
import { type PrefixOutcome, PrefixRoot } from '../checkpoints/prefix-root.js';
import { readNoteUnverified } from '../checkpoints/signed-note.js';
import { parseVerifierKey, type VerifierKey } from '../checkpoints/verifier-key.js';
import type { LogCheck, ReportOutput } from '../stores/log-backend.js';

/**
 * `verify --checkpoint FILE [--key FILE]` (SPEC "Checkpoints and proofs"): a checkpoint saved
 * earlier, as GET /api/checkpoint answered it, and the proof that the log extends it: the
 * root of the log's first N events, computed from the events themselves, is the checkpoint's.
 */
export interface SavedCheckpoint {
  readonly note: Buffer;
  readonly key: VerifierKey | undefined;
  /** The size as the note reads (0 when it does not read as a checkpoint: nothing to read). */
  readonly size: number;
}

/** Reads the files; a key file that is not a verifier key is a usage error (thrown). */
export async function readSavedCheckpoint(
  file: string,
  keyFile: string | undefined,
): Promise<SavedCheckpoint> {
  const note = await readFile(file).catch((error: Error) => {
    throw new Error(`cannot read the checkpoint ${file}: ${error.message}`);
  });
  let key: VerifierKey | undefined;
  if (keyFile !== undefined) {
    const text = await readFile(keyFile, 'utf8').catch((error: Error) => {
      throw new Error(`cannot read the key ${keyFile}: ${error.message}`);
    });
    try {
      key = parseVerifierKey(text);
    } catch (error) {
      throw new Error(`the key ${keyFile} is ${(error as Error).message}`);
    }
  }
  let size = 0;
  try {
    size = parseCheckpoint(readNoteUnverified(note).text).size;
  } catch {
    // Reported as the check's first line, with the log's other findings.
  }
  return { note, key, size };
}

const LABEL = 'checkpoint  ';
const OUTCOME = 'extends     ';

const REFUSALS: Record<NoteFailure, string> = {
  'malformed-note': 'UNREADABLE',
  'malformed-key': 'UNREADABLE',
  'malformed-checkpoint': 'UNREADABLE',
  'unknown-key': 'UNKNOWN KEY',
  'bad-signature': 'BAD SIGNATURE',
  'wrong-origin': 'WRONG ORIGIN',
};

/**
 * The checkpoint once it is to be believed, with its line written: signed by `--key` when one
 * is given, and of this log when the log is known (`logId`; an export names none, so its
 * origin is then the key's name, or without a key the checkpoint's own). Undefined, with the
 * refusal written, otherwise.
 */
export function trustCheckpoint(
  saved: SavedCheckpoint,
  logId: string | undefined,
  out: ReportOutput,
): Checkpoint | undefined {
  // The key is named by the log's origin: with no log to ask (an export), the key names it.
  const origin = logId === undefined ? saved.key?.name : checkpointOrigin(logId);
  try {
    let checkpoint: Checkpoint;
    let signature: string;
    if (saved.key !== undefined) {
      checkpoint = openCheckpoint(saved.note, saved.key, origin);
      signature = `signature by ${saved.key.name}+${saved.key.keyId.toString('hex')} verified (--key)`;
    } else {
      checkpoint = parseCheckpoint(readNoteUnverified(saved.note).text);
      if (origin !== undefined && checkpoint.origin !== origin) {
        throw new NoteError(
          'wrong-origin',
          `the checkpoint is of ${JSON.stringify(checkpoint.origin)}, not of ${JSON.stringify(origin)}`,
        );
      }
      signature = 'signature NOT checked (no --key)';
    }
    const whose =
      logId !== undefined
        ? ''
        : origin === undefined
          ? ' (an export names no log: its origin taken as is)'
          : " (an export names no log: the key's)";
    out.log(`${LABEL} size ${checkpoint.size} of ${checkpoint.origin}${whose}, ${signature}`);
    return checkpoint;
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
    out.log(`${LABEL} ${REFUSALS[error.reason]}: ${error.message}`);
    out.log(`${OUTCOME} not compared: the checkpoint is refused`);
    return undefined;
  }
}

/** The outcome's line; returns the positions found bad (0: a failure at no position). */
export function reportOutcome(
  checkpoint: Checkpoint,
  outcome: PrefixOutcome,
  out: ReportOutput,
): number[] {
  const n = checkpoint.size;
  switch (outcome.kind) {
    case 'extends':
      out.log(`${OUTCOME} the log's first ${n} events have the checkpoint's root: it extends it`);
      return [];
    case 'rewritten':
      out.log(
        `${OUTCOME} REWRITTEN: the log's first ${n} events have another root than the checkpoint's`,
      );
      return [0];
    case 'cut':
      out.log(
        `${OUTCOME} CUT: the log has ${outcome.events} events, shorter than the checkpoint's ${n}`,
      );
      return [outcome.events + 1];
    case 'broken':
      out.log(`${OUTCOME} BROKEN at position ${outcome.position}: ${outcome.reason}`);
      return [outcome.position];
    default:
      return outcome satisfies never;
  }
}

/** The check a backend's verify makes on the log it opened (`checkAgainstCheckpoint`). */
export function checkAgainstCheckpoint(saved: SavedCheckpoint): LogCheck {
  return {
    upTo: saved.size,
    async check(logId, hashes, out) {
      const checkpoint = trustCheckpoint(saved, logId, out);
      if (checkpoint === undefined) return [0];
      const prefix = new PrefixRoot(checkpoint.size);
      for await (const page of hashes) {
        for (const { position, hash } of page) prefix.add(position, hash);
      }
      return reportOutcome(checkpoint, prefix.compare(checkpoint.root), out);
    },
  };
}
