import { nodeHash } from './merkle-hash.js';

/**
 * The verifier's side of RFC 9162: §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), step by
 * step, so that it can be read against the RFC. It trusts nothing it is given: sizes,
 * lengths and every hash are checked, and a failure names what did not hold.
 */

export type ProofFailure =
  | 'out-of-range' // the sizes or the position cannot have a proof
  | 'malformed' // a hash that is not 32 bytes
  | 'wrong-length' // more or fewer hashes than the tree's shape needs
  | 'root-mismatch' // the proof leads to another root: the tree is not the one claimed
  | 'old-root-mismatch'; // consistency: the old tree the proof starts from is another one

export class ProofError extends Error {
  override readonly name = 'ProofError';
  constructor(
    readonly reason: ProofFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface InclusionClaim {
  readonly index: number; // leaf index, from 0 (position - 1)
  readonly size: number;
  readonly leafHash: Uint8Array;
  readonly proof: readonly Uint8Array[];
  readonly root: Uint8Array;
}

/** Throws a ProofError unless `proof` shows leaf `index` of the tree of `size` under `root`. */
export function verifyInclusion({ index, size, leafHash, proof, root }: InclusionClaim): void {
  checkCount('index', index);
  checkCount('size', size);
  if (index >= size) {
    throw new ProofError('out-of-range', `leaf ${index} is not in a tree of size ${size}`);
  }
  checkHashes([leafHash, root, ...proof]);
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0) throw tooLong();
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!odd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = nodeHash(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) throw tooShort();
  if (!Buffer.from(r).equals(root)) {
    throw new ProofError('root-mismatch', `the proof leads to another root than the tree's`);
  }
}

export interface ConsistencyClaim {
  readonly from: number;
  readonly to: number;
  readonly fromRoot: Uint8Array;
  readonly toRoot: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/** Throws a ProofError unless `proof` shows the tree of size `to` extends that of `from`. */
export function verifyConsistency({ from, to, fromRoot, toRoot, proof }: ConsistencyClaim): void {
  checkCount('from', from);
  checkCount('to', to);
  if (from === 0 || from > to) {
    throw new ProofError('out-of-range', `no consistency proof from size ${from} to size ${to}`);
  }
  checkHashes([fromRoot, toRoot, ...proof]);
  if (from === to) {
    if (proof.length > 0) throw new ProofError('wrong-length', 'equal sizes take an empty proof');
    if (!Buffer.from(fromRoot).equals(toRoot)) {
      throw new ProofError('root-mismatch', `two different roots for the same size ${from}`);
    }
    return;
  }
  // Step 1 of §2.1.4.2: two different sizes always need at least one hash.
  if (proof.length === 0) throw tooShort();
  // Step 2: when the old tree is a complete subtree, its root is the path's first element.
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : proof;
  let fn = from - 1;
  let sn = to - 1;
  while (odd(fn)) [fn, sn] = [half(fn), half(sn)];
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) throw tooLong();
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      sr = nodeHash(sr, c);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) throw tooShort();
  if (!Buffer.from(fr).equals(fromRoot)) {
    throw new ProofError(
      'old-root-mismatch',
      `the proof does not start from the root of size ${from}`,
    );
  }
  if (!Buffer.from(sr).equals(toRoot)) {
    throw new ProofError('root-mismatch', `the proof does not lead to the root of size ${to}`);
  }
}

// Arithmetic rather than bit operators: JavaScript's are 32-bit, sizes are not.
const odd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);
const isPowerOfTwo = (n: number): boolean => {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
};

const tooLong = () =>
  new ProofError('wrong-length', 'the proof has more hashes than the tree needs');
const tooShort = () =>
  new ProofError('wrong-length', 'the proof has fewer hashes than the tree needs');

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ProofError('out-of-range', `${name} must be a whole number ≥ 0, got ${value}`);
  }
}

function checkHashes(hashes: readonly Uint8Array[]): void {
  if (hashes.some((hash) => hash.length !== 32)) {
    throw new ProofError('malformed', 'every hash in a proof is 32 bytes');
  }
}
