import { TreeFrontier } from './merkle-frontier.js';
import type { NodeKey } from './merkle-nodes.js';
import { consistencyPlan, inclusionPlan, rootPlan, type TreePlan } from './merkle-plans.js';

/**
 * The stored layout held in arrays, one per level: the tree for a log that is not in a
 * database (an export being verified, `:memory:`, tests). Same plans, same answers.
 */
export class MemoryTree {
  readonly #levels: Buffer[][] = [];
  readonly #frontier = new TreeFrontier(0, []);

  get size(): number {
    return this.#frontier.size;
  }

  append(leafHashes: readonly Buffer[]): void {
    for (const node of this.#frontier.append(leafHashes)) {
      this.#levels[node.level] ??= [];
      (this.#levels[node.level] as Buffer[])[node.index] = node.hash;
    }
  }

  readNodes = (keys: readonly NodeKey[]): Buffer[] =>
    keys.map(({ level, index }) => {
      const hash = this.#levels[level]?.[index];
      if (hash === undefined)
        throw new RangeError(`no tree node at level ${level}, index ${index}`);
      return hash;
    });

  root(size = this.size): Buffer {
    return this.#run(rootPlan(size), size);
  }

  inclusionProof(index: number, size = this.size): Buffer[] {
    return this.#run(inclusionPlan(index, size), size);
  }

  consistencyProof(from: number, to = this.size): Buffer[] {
    return this.#run(consistencyPlan(from, to), to);
  }

  #run<T>(plan: TreePlan<T>, size: number): T {
    if (size > this.size) throw new RangeError(`the tree has ${this.size} leaves, not ${size}`);
    return plan.finish(this.readNodes(plan.keys));
  }
}
