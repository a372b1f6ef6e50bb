import type { NodeKey } from './merkle-nodes.js';

/**
 * A log's stored tree, as the routes and `checkpoint` read it. Its nodes are written in the
 * transaction that commits their events and never change afterwards, so once `head()` has
 * answered, every node of the tree of that size is there and stays as it is: reading the head
 * and then the nodes gives a root consistent with the events up to the head, without holding a
 * snapshot between the two reads.
 */
export interface LogTree {
  /** The position of the last committed event: the size of the largest tree stored. */
  head(): Promise<number>;
  /** Stored nodes, in the order asked; one query (a TreePlan's keys: O(log n) of them). */
  readNodes(keys: readonly NodeKey[]): Promise<readonly Buffer[]>;
}
