import { createHash, hash } from 'node:crypto';

/**
 * The hashes of an RFC 9162 (§2.1.1) Merkle tree with SHA-256. The one-byte prefixes keep a
 * leaf from ever hashing like an interior node (a second-preimage defence).
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}): the root of the tree of size 0. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

// One-shot digests of the concatenated input: a Hash object per node cost more than the
// digest itself (two nodes per appended event, every node of a tree that is built).
export function leafHash(input: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([LEAF_PREFIX, input]), 'buffer');
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([NODE_PREFIX, left, right]), 'buffer');
}

const EVENT_HASH = /^[0-9a-f]{64}$/;

/**
 * The leaf of one event (SPEC "Checkpoints and proofs"): its input is the 32 bytes the
 * event's hex chain hash decodes to. Anything else is refused rather than decoded loosely,
 * since Buffer.from(hex) silently drops what is not hex.
 */
export function eventLeafHash(hexHash: string): Buffer {
  if (!EVENT_HASH.test(hexHash)) {
    throw new TypeError(`an event hash is 64 lowercase hex digits, got ${JSON.stringify(hexHash)}`);
  }
  return leafHash(Buffer.from(hexHash, 'hex'));
}
