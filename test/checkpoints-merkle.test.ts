import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frontierPlan, TreeFrontier } from '../src/checkpoints/merkle-frontier.js';
import { EMPTY_ROOT, eventLeafHash, leafHash } from '../src/checkpoints/merkle-hash.js';
import { MemoryTree } from '../src/checkpoints/merkle-memory.js';
import { nodeId, rangeNodes, type StoredNode } from '../src/checkpoints/merkle-nodes.js';
import { consistencyPlan, inclusionPlan, rootPlan } from '../src/checkpoints/merkle-plans.js';
import {
  ProofError,
  verifyConsistency,
  verifyInclusion,
} from '../src/checkpoints/merkle-verify.js';
import probes from './fixtures/rfc9162-probes.json' with { type: 'json' };
import * as reference from './fixtures/rfc9162-tree.js';

const hex = (buffer: Uint8Array) => Buffer.from(buffer).toString('hex');
const unhex = (text: string) => Buffer.from(text, 'hex');
const unb64 = (text: string) => Buffer.from(text, 'base64');

// RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 transcribed as recursion over the leaf inputs,
// sharing no code with src/checkpoints: the independent answer the tree must agree with.
const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const splitAt = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1);
function mth(d: readonly Buffer[]): Buffer {
  if (d.length === 0) return sha256();
  if (d.length === 1) return sha256(Buffer.from([0]), d[0] as Buffer);
  const k = splitAt(d.length);
  return sha256(Buffer.from([1]), mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: readonly Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const k = splitAt(d.length);
  return m < k
    ? [...path(m, d.slice(0, k)), mth(d.slice(k))]
    : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function subproof(m: number, d: readonly Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = splitAt(d.length);
  return m <= k
    ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))]
    : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

const treeOf = (inputs: readonly Buffer[]) => {
  const tree = new MemoryTree();
  tree.append(inputs.map(leafHash));
  return tree;
};

const failure = (verify: () => void) => {
  try {
    verify();
  } catch (error) {
    if (error instanceof ProofError) return error.reason;
    throw error;
  }
  return undefined;
};

describe('the Merkle tree against the RFC 6962/9162 reference tree (transparency-dev/merkle)', () => {
  const inputs = reference.leafInputs.map(unhex);
  const tree = treeOf(inputs);

  it('has the reference root at every size from 0 to 8', () => {
    expect(hex(EMPTY_ROOT)).toBe(reference.roots[0]);
    expect(reference.roots.map((_, n) => hex(tree.root(n)))).toEqual(reference.roots);
  });

  it('stores exactly the reference nodes, level by level', () => {
    for (const [level, hashes] of reference.nodes.entries()) {
      const keys = hashes.map((_, index) => ({ level, index }));
      expect(tree.readNodes(keys).map(hex)).toEqual(hashes);
    }
    expect(() => tree.readNodes([{ level: 4, index: 0 }])).toThrow(RangeError);
  });

  it('gives the reference inclusion and consistency proofs', () => {
    for (const { leafIdx, size, proof } of reference.inclusionProofs) {
      expect(tree.inclusionProof(leafIdx - 1, size).map(hex)).toEqual(proof);
    }
    for (const { size1, size2, proof } of reference.consistencyProofs) {
      expect(tree.consistencyProof(size1, size2).map(hex)).toEqual(proof);
    }
  });

  it('verifies every transparency-dev probe that should verify, and fails every other', () => {
    const verdicts = [
      ...probes.inclusion.map((p) => ({
        file: p.file,
        wantErr: p.wantErr,
        reason: failure(() =>
          verifyInclusion({
            index: p.leafIdx,
            size: p.treeSize,
            leafHash: unb64(p.leafHash),
            root: unb64(p.root),
            proof: (p.proof ?? []).map(unb64),
          }),
        ),
      })),
      ...probes.consistency.map((p) => ({
        file: p.file,
        wantErr: p.wantErr,
        reason: failure(() =>
          verifyConsistency({
            from: p.size1,
            to: p.size2,
            fromRoot: unb64(p.root1),
            toRoot: unb64(p.root2),
            proof: (p.proof ?? []).map(unb64),
          }),
        ),
      })),
    ];
    // One deliberate difference: Go accepts equal sizes with equal roots of any length; here a
    // root that is not 32 bytes is refused before anything else.
    const stricter = 'consistency/additional/sizes-are-equal-one-and-proof-is-empty.json';
    const wrong = verdicts.filter(
      (v) => v.file !== stricter && v.wantErr !== (v.reason !== undefined),
    );
    expect(wrong).toEqual([]);
    expect(verdicts.find((v) => v.file === stricter)?.reason).toBe('malformed');
    expect(verdicts.filter((v) => !v.wantErr).length).toBeGreaterThan(10);
  });
});

describe('the Merkle tree, property by property against the RFC recursion', () => {
  const leafInput = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b));
  // A log, a size n ≤ its length, a leaf index below n and an older size m ≤ n.
  const logAndSizes = fc.array(leafInput, { minLength: 1, maxLength: 70 }).chain((log) =>
    fc.integer({ min: 1, max: log.length }).chain((n) =>
      fc.record({
        log: fc.constant(log),
        n: fc.constant(n),
        m: fc.integer({ min: 1, max: n }),
        index: fc.integer({ min: 0, max: n - 1 }),
      }),
    ),
  );

  it('computes the roots and proofs the RFC defines, and each proof verifies', () => {
    fc.assert(
      fc.property(logAndSizes, ({ log, n, m, index }) => {
        const tree = treeOf(log);
        const root = mth(log.slice(0, n));
        const oldRoot = mth(log.slice(0, m));
        expect(tree.root(n)).toEqual(root);
        const inclusion = tree.inclusionProof(index, n);
        expect(inclusion).toEqual(path(index, log.slice(0, n)));
        const leaf = leafHash(log[index] as Buffer);
        verifyInclusion({ index, size: n, leafHash: leaf, proof: inclusion, root });
        const consistency = tree.consistencyProof(m, n);
        expect(consistency).toEqual(subproof(m, log.slice(0, n), true));
        verifyConsistency({ from: m, to: n, fromRoot: oldRoot, toRoot: root, proof: consistency });
      }),
      { numRuns: 300, seed: 16 },
    );
  });

  it('refuses every proof of a log with one leaf rewritten', () => {
    fc.assert(
      fc.property(logAndSizes, fc.nat(), ({ log, n, m, index }, pick) => {
        const honestRoot = mth(log.slice(0, n));
        const honestOldRoot = mth(log.slice(0, m));
        // A rewrite an insider would make: one leaf changed and the tree recomputed over it.
        const changed = pick % n;
        const forged = log.map((leaf, i) => (i === changed ? sha256(leaf) : leaf));
        const tree = treeOf(forged);
        const leaf = leafHash(forged[index] as Buffer);
        const inclusion = { index, size: n, leafHash: leaf, root: honestRoot };
        expect(
          failure(() => verifyInclusion({ ...inclusion, proof: tree.inclusionProof(index, n) })),
        ).toBe('root-mismatch');
        // The rewritten tree cannot prove it extends the honest old tree that covers the leaf.
        if (changed < m) {
          const claim = { from: m, to: n, fromRoot: honestOldRoot, toRoot: tree.root(n) };
          expect(
            failure(() => verifyConsistency({ ...claim, proof: tree.consistencyProof(m, n) })),
          ).toBeDefined();
        }
      }),
      { numRuns: 200, seed: 61 },
    );
  });

  it('refuses a proof with any hash altered, dropped or added, or or claimed at another position', () => {
    fc.assert(
      fc.property(logAndSizes, fc.nat(), ({ log, n, m, index }, pick) => {
        const tree = treeOf(log);
        const leaf = leafHash(log[index] as Buffer);
        const incl = {
          index,
          size: n,
          leafHash: leaf,
          root: tree.root(n),
          proof: tree.inclusionProof(index, n),
        };
        const cons = {
          from: m,
          to: n,
          fromRoot: tree.root(m),
          toRoot: tree.root(n),
          proof: tree.consistencyProof(m, n),
        };
        const altered = (proof: Buffer[]) =>
          proof.map((hash, i) => (i === pick % proof.length ? sha256(hash) : hash));
        const extra = (proof: Buffer[]) => [...proof, sha256()];
        if (incl.proof.length > 0) {
          expect(failure(() => verifyInclusion({ ...incl, proof: altered(incl.proof) }))).toBe(
            'root-mismatch',
          );
          expect(
            failure(() => verifyInclusion({ ...incl, proof: incl.proof.slice(1) })),
          ).toBeDefined();
        }
        expect(failure(() => verifyInclusion({ ...incl, proof: extra(incl.proof) }))).toBeDefined();
        expect(failure(() => verifyInclusion({ ...incl, root: sha256(incl.root) }))).toBe(
          'root-mismatch',
        );
        expect(failure(() => verifyInclusion({ ...incl, leafHash: sha256(leaf) }))).toBe(
          'root-mismatch',
        );
        if (n > 1) {
          const other = (index + 1 + (pick % (n - 1))) % n;
          // Another position holding another leaf input: the same proof must not place it there.
          if (!log[other]?.equals(log[index] as Buffer)) {
            expect(failure(() => verifyInclusion({ ...incl, index: other }))).toBeDefined();
          }
        }
        if (m < n) {
          expect(
            failure(() => verifyConsistency({ ...cons, proof: altered(cons.proof) })),
          ).toBeDefined();
          expect(
            failure(() => verifyConsistency({ ...cons, proof: cons.proof.slice(0, -1) })),
          ).toBeDefined();
          expect(
            failure(() => verifyConsistency({ ...cons, fromRoot: sha256(cons.fromRoot) })),
          ).toBeDefined();
        }
        expect(failure(() => verifyConsistency({ ...cons, proof: extra(cons.proof) }))).toBe(
          'wrong-length',
        );
        expect(
          failure(() => verifyConsistency({ ...cons, toRoot: sha256(cons.toRoot) })),
        ).toBeDefined();
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('writes the same nodes and roots whatever batches the leaves are appended in', () => {
    fc.assert(
      fc.property(
        fc.array(leafInput, { maxLength: 70 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 }),
        (log, batchSizes) => {
          const leaves = log.map(leafHash);
          const oneByOne = new TreeFrontier(0, []);
          const expected = leaves.flatMap((leaf) => oneByOne.append([leaf]));
          const written: StoredNode[] = [];
          let frontier = new TreeFrontier(0, []);
          for (let at = 0, b = 0; at < leaves.length; b++) {
            const size = batchSizes[b % batchSizes.length] as number;
            // Each batch resumes from stored nodes alone, as a store's next transaction would.
            const stored = new Map(written.map((node) => [nodeId(node), node.hash]));
            const plan = frontierPlan(frontier.size);
            frontier = plan.finish(plan.keys.map((key) => stored.get(nodeId(key)) ?? fail(key)));
            written.push(...frontier.append(leaves.slice(at, at + size)));
            at += size;
            expect(frontier.root()).toEqual(mth(log.slice(0, Math.min(at, log.length))));
          }
          expect(written).toEqual(expected);
          // Two nodes per leaf at most: the amortised O(1) cost of an append.
          expect(written.length).toBeLessThan(2 * leaves.length + 1);
        },
      ),
      { numRuns: 200, seed: 3 },
    );
  });
});

describe('the Merkle tree at sizes beyond 32 bits', () => {
  it('plans O(log n) reads of nodes that lie inside the tree', () => {
    const size = 2 ** 41 + 2 ** 33 + 3;
    const plans = [
      rootPlan(size),
      inclusionPlan(2 ** 40 + 7, size),
      inclusionPlan(size - 1, size),
      consistencyPlan(2 ** 35 + 1, size),
      consistencyPlan(size - 2, size),
    ];
    for (const plan of plans) {
      expect(plan.keys.length).toBeLessThanOrEqual(2 * 42);
      for (const { level, index } of plan.keys) {
        expect(Number.isSafeInteger(index)).toBe(true);
        expect((index + 1) * 2 ** level).toBeLessThanOrEqual(size);
      }
    }
    expect(rootPlan(size).keys).toEqual([
      { level: 41, index: 0 },
      { level: 33, index: 2 ** 8 },
      { level: 1, index: (2 ** 41 + 2 ** 33) / 2 },
      { level: 0, index: 2 ** 41 + 2 ** 33 + 2 },
    ]);
  });
});

describe('the stored nodes of a range of leaves', () => {
  it('are complete subtrees aligned on their own size, so that a store holds each', () => {
    expect(rangeNodes({ start: 4, end: 7 })).toEqual([
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
    // Not aligned: [1, 4) is leaf 1 then the pair (2, 3), never a "pair" (1, 2).
    expect(rangeNodes({ start: 1, end: 4 })).toEqual([
      { level: 0, index: 1 },
      { level: 1, index: 1 },
    ]);
  });
});

describe('the leaf of an event', () => {
  it('is the leaf hash of the 32 bytes its hex hash decodes to, and refuses anything else', () => {
    const hash = 'ab'.repeat(32);
    expect(eventLeafHash(hash)).toEqual(sha256(Buffer.from([0]), unhex(hash)));
    for (const bad of ['AB'.repeat(32), 'ab'.repeat(31), `${'ab'.repeat(31)}zz`, ` ${hash}`]) {
      expect(() => eventLeafHash(bad)).toThrow(/64 lowercase hex digits/);
    }
  });
});

function fail(key: { level: number; index: number }): never {
  throw new Error(`node ${nodeId(key)} was never written`);
}
