import { decodeBase64 } from './base64.js';
import { NoteError } from './note-error.js';
import { type NoteSigner, openNote, signNote } from './signed-note.js';
import type { VerifierKey } from './verifier-key.js';

/**
 * A C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): a signed note whose text is the origin,
 * the tree size and the base64 root, one per line. SPEC allows no extension lines.
 */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
}

/**
 * The origin of a log's checkpoints, which is also its key name: the logId names the log,
 * so a checkpoint of one log is never taken for another's.
 */
export function checkpointOrigin(logId: string): string {
  return `sessionlog/${logId}`;
}

export function formatCheckpoint({ origin, size, root }: Checkpoint): string {
  if (root.length !== 32) throw new TypeError('a root is 32 bytes');
  return `${origin}\n${size}\n${root.toString('base64')}\n`;
}

export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(checkpoint), signer);
}

/** Reads a checkpoint body strictly: exactly three lines, a canonical size, a 32-byte root. */
export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw malformed('it does not end in a newline');
  lines.pop();
  if (lines.length !== 3) {
    throw malformed(`it has ${lines.length} lines, not 3 (origin, size, root)`);
  }
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin === '') throw malformed('the origin is empty');
  // One spelling per number: no sign, no leading zero, no exponent.
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw malformed(`the size ${JSON.stringify(sizeText)} is not a tree size in decimal`);
  }
  const root = decodeBase64(rootText);
  if (root === undefined || root.length !== 32) {
    throw malformed(`the root ${JSON.stringify(rootText)} is not 32 bytes in standard base64`);
  }
  return { origin, size: Number(sizeText), root };
}

/**
 * The checkpoint in `note` once its signature by `key` verifies and, when `origin` is given,
 * it is that log's. Throws a NoteError naming what is wrong.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  key: VerifierKey,
  origin?: string,
): Checkpoint {
  const checkpoint = parseCheckpoint(openNote(note, key));
  if (origin !== undefined && checkpoint.origin !== origin) {
    throw new NoteError(
      'wrong-origin',
      `the checkpoint is of ${JSON.stringify(checkpoint.origin)}, not of ${JSON.stringify(origin)}`,
    );
  }
  return checkpoint;
}

function malformed(why: string): NoteError {
  return new NoteError('malformed-checkpoint', `not a checkpoint: ${why}`);
}
