import type { Checkpoint } from './checkpoint.js';
import { EMPTY_ROOT } from './merkle-hash.js';
import { ProofError, verifyConsistency } from './merkle-verify.js';

/** Why a new checkpoint is not one the log could have reached from the saved one. */
export type ExtendFailure =
  | 'another-log' // another origin: the server answers for another log
  | 'shrank' // a smaller tree: events were cut off
  | 'forked' // the same size with another root: the log was rewritten
  | 'inconsistent'; // the consistency proof does not join the two roots

export class ExtendError extends Error {
  override readonly name = 'ExtendError';
  constructor(
    readonly reason: ExtendFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Throws an ExtendError unless `next` extends `saved`: the same log, at least as large, and,
 * when larger, joined to it by `proof` (RFC 9162 §2.1.4, from saved.size to next.size). Both
 * checkpoints' signatures are the caller's to have checked; this only weighs their trees.
 */
export function checkExtends(
  saved: Checkpoint,
  next: Checkpoint,
  proof: readonly Uint8Array[],
): void {
  if (next.origin !== saved.origin) {
    throw new ExtendError(
      'another-log',
      `the server now answers for another log: ${JSON.stringify(next.origin)}, not ${JSON.stringify(saved.origin)}`,
    );
  }
  if (next.size < saved.size) {
    throw new ExtendError(
      'shrank',
      `the log shrank: the saved checkpoint has ${saved.size} events, the server's ${next.size}`,
    );
  }
  if (next.size === saved.size) {
    if (!next.root.equals(saved.root)) {
      throw new ExtendError(
        'forked',
        `the log was rewritten: its tree of size ${saved.size} has another root than the saved one`,
      );
    }
    return;
  }
  // Every tree extends the empty one, and no proof starts from it (RFC 9162 §2.1.4); the
  // empty tree has one root, though, and a checkpoint that says otherwise is no tree's.
  if (saved.size === 0) {
    if (!saved.root.equals(EMPTY_ROOT)) {
      throw new ExtendError(
        'inconsistent',
        'the saved checkpoint of size 0 has another root than the empty tree',
      );
    }
    return;
  }
  try {
    verifyConsistency({
      from: saved.size,
      to: next.size,
      fromRoot: saved.root,
      toRoot: next.root,
      proof,
    });
  } catch (error) {
    if (!(error instanceof ProofError)) throw error;
    const why =
      error.reason === 'old-root-mismatch'
        ? `the log was rewritten: its first ${saved.size} events no longer have the saved root`
        : `the proof does not join the saved root to the new one`;
    throw new ExtendError(
      'inconsistent',
      `no consistency from size ${saved.size} to ${next.size}: ${why} (${error.message})`,
    );
  }
}
