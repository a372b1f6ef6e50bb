import type { LogTree } from '../../src/checkpoints/log-tree.js';
import { eventLeafHash } from '../../src/checkpoints/merkle-hash.js';
import { MemoryTree } from '../../src/checkpoints/merkle-memory.js';
import { rootPlan, runPlan } from '../../src/checkpoints/merkle-plans.js';
import type { EventStore } from '../../src/events/store.js';

/** The tree over the log's events computed in memory from their hashes: what a stored tree must equal. */
export async function freshTree(store: Pick<EventStore, 'read'>): Promise<MemoryTree> {
  const tree = new MemoryTree();
  for (let after = 0; ; ) {
    const page = await store.read({ after, limit: 1000 });
    tree.append(page.map((event) => eventLeafHash(event.hash)));
    const last = page.at(-1);
    if (last === undefined) return tree;
    after = last.position;
  }
}

/** The stored tree's root at `size` (default: the head). */
export async function storedRoot(tree: LogTree, size?: number): Promise<Buffer> {
  return runPlan(rootPlan(size ?? (await tree.head())), tree.readNodes);
}

/** A small seeded generator, so that a failing "random" case runs again the same. */
export function seeded(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}
