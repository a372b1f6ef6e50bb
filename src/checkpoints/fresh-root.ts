import { hash } from 'node:crypto';
import { eventLeafHash } from './merkle-hash.js';
import { foldRange } from './merkle-nodes.js';

/** A complete subtree on the right edge: its level (2^level leaves) and its hash, as hex. */
export interface EdgeNode {
  level: number;
  hash: string;
}

/**
 * The root of the tree over events' hex chain hashes computed from scratch, in O(log n)
 * memory: what `verify` compares a stored tree with. Feed it the hashes in position order,
 * or (from several threads) the complete subtrees others computed, left to right.
 *
 * The same RFC 9162 hashes as merkle-hash.ts, made for a million leaves: one-shot
 * `crypto.hash` over two reused buffers (a Hash object per node cost three times the digest;
 * a Buffer digest, four times a string one, on Node 20), and the edge kept as binary
 * (latin1) strings, each byte one character: a digest read and written back that way costs
 * a sixth less per leaf than as hex. The edge is hex where it leaves (`edge`, `addSubtree`).
 */
export class FreshRoot {
  /** The complete subtrees, as binary strings. */
  readonly #edge: { level: number; hash: string }[] = [];
  #size = 0;
  /** 0x00 ‖ leaf, and 0x01 ‖ left ‖ right: RFC 9162's prefixes. */
  readonly #leaf = Buffer.alloc(33, 0);
  readonly #node = Buffer.alloc(65, 1);

  get size(): number {
    return this.#size;
  }

  /** Adds leaves by their events' hashes; throws on one that is not 64 lowercase hex digits. */
  add(hexHashes: readonly string[]): void {
    for (const hex of hexHashes) {
      if (!EVENT_HASH.test(hex)) eventLeafHash(hex); // throws, saying what is wrong
      this.addChecked(hex);
    }
  }

  /**
   * Adds one leaf whose hash is known to be 64 lowercase hex digits (the chain recomputed
   * it): `add` without the test, which costs about as much as the leaf's digest.
   */
  addChecked(hex: string): void {
    this.#leaf.write(hex, 1, 'hex');
    this.#push(0, hash('sha256', this.#leaf, 'binary'));
  }

  /**
   * Adds a complete subtree of 2^level leaves that another FreshRoot computed. It must start
   * where this tree ends, at a multiple of its own width (what `edge()` of a run of leaves
   * starting at such a multiple gives): then it is a node of the whole tree.
   */
  addSubtree({ level, hash: hex }: EdgeNode): void {
    if (this.#size % 2 ** level !== 0) {
      throw new Error(`a subtree of 2^${level} leaves cannot start at leaf ${this.#size}`);
    }
    this.#push(level, Buffer.from(hex, 'hex').toString('binary'));
  }

  /** The complete subtrees so far, largest (leftmost) first. */
  edge(): EdgeNode[] {
    return this.#edge.map(({ level, hash }) => ({
      level,
      hash: Buffer.from(hash, 'binary').toString('hex'),
    }));
  }

  root(): Buffer {
    return foldRange(this.#edge.map((node) => Buffer.from(node.hash, 'binary')));
  }

  #push(level: number, digest: string): void {
    let node = { level, hash: digest };
    // Equal levels on top of the edge are two halves of a now complete parent.
    for (let left = this.#edge.at(-1); left?.level === node.level; left = this.#edge.at(-1)) {
      this.#edge.pop();
      this.#node.write(left.hash, 1, 'binary');
      this.#node.write(node.hash, 33, 'binary');
      node = { level: node.level + 1, hash: hash('sha256', this.#node, 'binary') };
    }
    this.#edge.push(node);
    this.#size += 2 ** level;
  }
}

const EVENT_HASH = /^[0-9a-f]{64}$/;
