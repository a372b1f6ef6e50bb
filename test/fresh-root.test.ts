import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FreshRoot } from '../src/checkpoints/fresh-root.js';
import { TreeFrontier } from '../src/checkpoints/merkle-frontier.js';
import { eventLeafHash } from '../src/checkpoints/merkle-hash.js';

const hashes = (n: number) =>
  Array.from({ length: n }, (_, i) => createHash('sha256').update(`event ${i}`).digest('hex'));

describe("the root verify computes from the events' hashes", () => {
  it('is the root the store keeps, for every size', () => {
    for (let size = 0; size <= 70; size++) {
      const stored = new TreeFrontier(0, []);
      stored.append(hashes(size).map(eventLeafHash));
      const fresh = new FreshRoot();
      fresh.add(hashes(size));
      expect(fresh.root().toString('hex'), `size ${size}`).toBe(stored.root().toString('hex'));
    }
  });

  it('is the same made of blocks computed apart, as verify’s threads do', () => {
    for (let size = 0; size <= 40; size++) {
      const whole = new FreshRoot();
      whole.add(hashes(size));
      const joined = new FreshRoot();
      for (let start = 0; start < size; start += 8) {
        const block = new FreshRoot();
        block.add(hashes(size).slice(start, start + 8));
        for (const node of block.edge()) joined.addSubtree(node);
      }
      expect(joined.root().toString('hex'), `size ${size}`).toBe(whole.root().toString('hex'));
    }
  });

  it('refuses a subtree that is not a node of the tree where it would go', () => {
    const fresh = new FreshRoot();
    fresh.add(hashes(2));
    expect(() => fresh.addSubtree({ level: 2, hash: '00'.repeat(32) })).toThrow(
      'a subtree of 2^2 leaves cannot start at leaf 2',
    );
  });

  it('refuses a hash that is not 64 lowercase hex digits', () => {
    expect(() => new FreshRoot().add(['AB'.repeat(32)])).toThrow(/64 lowercase hex digits/);
  });
});
