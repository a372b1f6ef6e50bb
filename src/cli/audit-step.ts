import { type Checkpoint, openCheckpoint } from '../checkpoints/checkpoint.js';
import { checkExtends, ExtendError } from '../checkpoints/checkpoint-extends.js';
import { NoteError } from '../checkpoints/note-error.js';
import { parseVerifierKey, type VerifierKey } from '../checkpoints/verifier-key.js';
import { type CheckpointSource, UnexpectedAnswer } from './audit-source.js';
import { type AuditState, type LoadedState, makeState, saveState } from './audit-state.js';

/** A check that failed: the command exits 1 with this message. */
export class AuditFailure extends Error {
  override readonly name = 'AuditFailure';
}

export interface AuditInput {
  readonly source: CheckpointSource;
  readonly stateFile: string;
  /** What the last run saved; undefined on the first run. */
  readonly saved: LoadedState | undefined;
  /** The text of --key, if given. */
  readonly keyText: string | undefined;
}

export interface AuditOutcome {
  /** What to keep for the next round (the state as saved, or as loaded when unchanged). */
  readonly saved: LoadedState;
  /** The size the round started from; undefined on the first run. */
  readonly from: number | undefined;
  readonly proofLength: number;
  /** How the key came: pinned now from --key or the server, or the one pinned before. */
  readonly pinned: 'file' | 'server' | undefined;
}

/**
 * One audit round: the pinned key (pinned now on the first run), the server's checkpoint
 * opened with it, and, after the first run, the consistency proof from the saved checkpoint;
 * then the new checkpoint saved. O(log n) hashes whatever the log's size. Throws an
 * AuditFailure naming what does not hold; the state file is then left as it was.
 */
export async function auditOnce({
  source,
  stateFile,
  saved,
  keyText,
}: AuditInput): Promise<AuditOutcome> {
  const given = keyText === undefined ? undefined : parseKey(keyText, '--key');
  if (saved !== undefined && given !== undefined && keyText?.trim() !== saved.state.key) {
    throw new AuditFailure(
      `the key given (--key) is not the one pinned in ${stateFile} (${saved.state.key})`,
    );
  }
  const pinned = saved === undefined ? (given === undefined ? 'server' : 'file') : undefined;
  const keyLine = saved?.state.key ?? keyText?.trim() ?? (await source.key()).trim();
  const key = saved?.key ?? given ?? parseKey(keyLine, `${source.origin}/api/checkpoint/key`);

  const note = await source.checkpoint();
  if (saved !== undefined) {
    // Before the signature, so that a server back on another log is named as such rather
    // than as a key it does not know.
    const origin = note.split('\n', 1)[0];
    if (origin !== saved.checkpoint.origin) {
      throw new AuditFailure(
        `the server now answers for another log: ${JSON.stringify(origin)}, not ${JSON.stringify(saved.checkpoint.origin)} (pinned in ${stateFile})`,
      );
    }
  }
  const next = openServerCheckpoint(note, key, saved?.checkpoint.origin);

  let proofLength = 0;
  if (saved !== undefined) {
    const from = saved.checkpoint;
    const proof =
      next.size > from.size && from.size > 0 ? await proofBetween(source, from, next) : [];
    proofLength = proof.length;
    try {
      checkExtends(from, next, proof);
    } catch (error) {
      if (error instanceof ExtendError) throw new AuditFailure(error.message);
      throw error;
    }
    if (next.size === from.size) return { saved, from: from.size, proofLength, pinned };
  }

  const state: AuditState = makeState(
    {
      url: source.origin,
      origin: next.origin,
      key: keyLine,
      keyFrom: saved?.state.keyFrom ?? (pinned as 'file' | 'server'),
      checkpoint: note,
    },
    next,
  );
  await saveState(stateFile, state);
  return {
    saved: { state, key, checkpoint: next },
    from: saved?.checkpoint.size,
    proofLength,
    pinned,
  };
}

function parseKey(text: string, from: string): VerifierKey {
  try {
    return parseVerifierKey(text.trim());
  } catch (error) {
    if (error instanceof NoteError) throw new AuditFailure(`${from}: ${error.message}`);
    throw error;
  }
}

function openServerCheckpoint(note: string, key: VerifierKey, origin?: string): Checkpoint {
  try {
    return openCheckpoint(note, key, origin);
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
    const why =
      error.reason === 'unknown-key' || error.reason === 'bad-signature'
        ? `the server's checkpoint is not signed by the pinned key: ${error.message}`
        : `the server's checkpoint is refused: ${error.message}`;
    throw new AuditFailure(why);
  }
}

async function proofBetween(
  source: CheckpointSource,
  from: Checkpoint,
  to: Checkpoint,
): Promise<Buffer[]> {
  try {
    return await source.consistency(from.size, to.size);
  } catch (error) {
    if (error instanceof UnexpectedAnswer) throw new AuditFailure(error.message);
    throw error;
  }
}
