import { describe, expect, it } from 'vitest';
import { balancedOrders } from '../bench/balanced-order.js';

/** How often each key runs in each place, and right after each other key, over the orders. */
function tally(orders: readonly string[][]) {
  const places = new Map<string, number>();
  const after = new Map<string, number>();
  const add = (counts: Map<string, number>, key: string) =>
    counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const order of orders) {
    order.forEach((key, place) => {
      add(places, `${key}@${place}`);
      if (place > 0) add(after, `${order[place - 1]}→${key}`);
    });
  }
  return { places: new Set(places.values()), after: new Set(after.values()), pairs: after.size };
}

describe("the bench's balanced orders", () => {
  it.each([
    [2, 2],
    [3, 6],
    [4, 4],
    [5, 10],
  ])(
    'put each of %i servers in each place, and after each other, as often (%i orders)',
    (n, rows) => {
      const keys = Array.from({ length: n }, (_, i) => String.fromCharCode(97 + i));
      const orders = balancedOrders(keys);
      expect(orders).toHaveLength(rows);
      for (const order of orders) expect([...order].sort()).toEqual(keys);
      const { places, after, pairs } = tally(orders);
      expect(places.size).toBe(1);
      expect(after.size).toBe(1);
      expect(pairs).toBe(n * (n - 1));
    },
  );
});
