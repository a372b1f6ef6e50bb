import { createHash, hash } from 'node:crypto';

/**
 * The hashes of an RFC 9162 (§2.1.1) Merkle tree with SHA-256. The one-byte prefixes keep a
 * leaf from ever hashing like an interior node (a second-preimage defence).
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}): the root of the tree of size 0. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

// One-shot digests: a Hash object per node cost more than the digest itself (two nodes per
// appended event, every node of a tree that is built). A 32-byte leaf and every node are
// hashed from an input buffer made once, its prefix in place, rather than a concatenation.
const leafInput = Buffer.alloc(1 + 32, 0x00);
const nodeInput = Buffer.alloc(1 + 64, 0x01);

export function leafHash(input: Uint8Array): Buffer {
  if (input.length !== 32) return hash('sha256', Buffer.concat([LEAF_PREFIX, input]), 'buffer');
  leafInput.set(input, 1);
  return hash('sha256', leafInput, 'buffer');
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== 32 || right.length !== 32) {
    return hash('sha256', Buffer.concat([NODE_PREFIX, left, right]), 'buffer');
  }
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return hash('sha256', nodeInput, 'buffer');
}

/**
 * The leaf of an event whose hash is known to be 64 lowercase hex digits (a chain check
 * recomputed it), as a binary (latin1) string, a character per byte: for the million leaves
 * of a verify or an import (FreshRoot, ImportTree), a string digest made and copied for about
 * half of what hex costs, and a quarter of a Buffer's.
 */
export function checkedLeafHashBinary(hexHash: string): string {
  leafInput.write(hexHash, 1, 'hex');
  return hash('sha256', leafInput, 'binary');
}

/** `nodeHash` of two 32-byte hashes given and returned as binary (latin1) strings. */
export function nodeHashBinary(left: string, right: string): string {
  nodeInput.write(left, 1, 'latin1');
  nodeInput.write(right, 33, 'latin1');
  return hash('sha256', nodeInput, 'binary');
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
  leafInput.write(hexHash, 1, 'hex');
  return hash('sha256', leafInput, 'buffer');
}
