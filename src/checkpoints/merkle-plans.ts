import { foldRange, type LeafRange, type NodeKey, rangeNodes } from './merkle-nodes.js';

/**
 * A root or a proof in two steps, so that a store reads all it needs in one query: `keys`
 * are the stored nodes to read (O(log n) of them), `finish` turns their hashes, in that
 * order, into the answer. No I/O here; SQLite can finish synchronously, PostgreSQL after an
 * await.
 */
export interface TreePlan<T> {
  readonly keys: readonly NodeKey[];
  finish(hashes: readonly Buffer[]): T;
}

/** Reads stored nodes, answering in the order asked; sync or async, as the store is. */
export type ReadNodes = (
  keys: readonly NodeKey[],
) => readonly Buffer[] | Promise<readonly Buffer[]>;

export async function runPlan<T>(plan: TreePlan<T>, read: ReadNodes): Promise<T> {
  return plan.finish(await read(plan.keys));
}

/** MTH(D[0:size]), the root a checkpoint of `size` signs. */
export function rootPlan(size: number): TreePlan<Buffer> {
  checkSize('size', size);
  const plan = rangesPlan([{ start: 0, end: size }]);
  return { keys: plan.keys, finish: (hashes) => plan.finish(hashes)[0] as Buffer };
}

/** RFC 9162 §2.1.3.1 PATH(index, D[0:size]): the audit path of leaf `index` (from 0). */
export function inclusionPlan(index: number, size: number): TreePlan<Buffer[]> {
  checkSize('size', size);
  checkSize('index', index);
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const ranges: LeafRange[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = largestPowerOfTwoBelow(end - start);
    if (index < start + k) {
      ranges.push({ start: start + k, end });
      end = start + k;
    } else {
      ranges.push({ start, end: start + k });
      start += k;
    }
  }
  // The recursion emits the sibling nearest the root last.
  return rangesPlan(ranges.reverse());
}

/**
 * RFC 9162 §2.1.4.1 PROOF(from, D[0:to]) = SUBPROOF(from, D[0:to], true); from = to gives
 * the empty proof (SPEC: "M = N: an empty proof").
 */
export function consistencyPlan(from: number, to: number): TreePlan<Buffer[]> {
  checkSize('to', to);
  checkSize('from', from);
  if (from < 1 || from > to) {
    throw new RangeError(`no consistency proof from size ${from} to size ${to}`);
  }
  const ranges: LeafRange[] = [];
  let start = 0;
  let end = to;
  let m = from;
  let whole = true;
  while (m !== end - start) {
    const k = largestPowerOfTwoBelow(end - start);
    if (m <= k) {
      ranges.push({ start: start + k, end });
      end = start + k;
    } else {
      ranges.push({ start, end: start + k });
      start += k;
      m -= k;
      whole = false;
    }
  }
  // SUBPROOF(m, D[m], false) = {MTH(D[m])}: the old tree's last subtree, unless it is the
  // whole old tree, which the verifier already holds.
  if (!whole) ranges.push({ start, end });
  return rangesPlan(ranges.reverse());
}

function rangesPlan(ranges: readonly LeafRange[]): TreePlan<Buffer[]> {
  const perRange = ranges.map(rangeNodes);
  return {
    keys: perRange.flat(),
    finish(hashes) {
      const expected = perRange.reduce((sum, keys) => sum + keys.length, 0);
      if (hashes.length !== expected) {
        throw new Error(`expected ${expected} stored tree nodes, got ${hashes.length}`);
      }
      let at = 0;
      return perRange.map((keys) => {
        const hash = foldRange(hashes.slice(at, at + keys.length));
        at += keys.length;
        return hash;
      });
    },
  };
}

/** The k of RFC 9162 §2.1.1: the largest power of two smaller than n (n > 1). */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSize(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number ≥ 0, got ${value}`);
  }
}
