import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TreeFrontier } from '../src/checkpoints/merkle-frontier.js';
import { eventLeafHash } from '../src/checkpoints/merkle-hash.js';
import { ImportTree } from '../src/cli/import-tree.js';

const eventHash = (i: number) => createHash('sha256').update(`event ${i}`).digest('hex');

describe("import's Merkle tree", () => {
  it('makes the nodes an append makes, batch by batch, whatever the batch sizes, in the order they are made', () => {
    for (const sizes of [[1], [1, 1, 1, 1, 1], [3, 5, 8], [64], [7, 1, 33, 2, 20]]) {
      const frontier = new TreeFrontier(0, []);
      const tree = new ImportTree();
      let next = 0;
      for (const size of sizes) {
        const hashes = Array.from({ length: size }, () => eventHash(next++));
        // The same nodes, each leaf followed by the parents it completes: the order of
        // SQLite's key (ends, level), where a node's ends is (index + 1) * 2^level.
        const ends = ({ level, index }: { level: number; index: number }) =>
          (index + 1) * 2 ** level;
        const expected = frontier
          .append(hashes.map(eventLeafHash))
          .sort((a, b) => ends(a) - ends(b) || a.level - b.level);
        const made = tree.append(hashes);
        const nodes = Array.from(made.level, (level, i) => ({
          level,
          index: made.index[i],
          hash: Buffer.from(made.hash.subarray(i * 32, i * 32 + 32)),
        }));
        expect(nodes).toEqual(expected);
      }
    }
  });
});
