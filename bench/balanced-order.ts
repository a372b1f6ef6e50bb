/**
 * The orders of a Williams design (a balanced Latin square): round r runs the servers in
 * `orders[r % orders.length]`. Over a full cycle every server runs in every place as often,
 * and right after every other server as often. Under load, what one server leaves behind (its
 * garbage collected, its writes finishing) lands in the next one's measurement; a fixed
 * rotation puts the same server after the same one every time, which tilts a ratio by a few
 * per cent on its own (an A/A control read 1.04 between two copies of one server).
 */
export function balancedOrders<T>(keys: readonly T[]): T[][] {
  const n = keys.length;
  // The first row 0, 1, n−1, 2, n−2, …; each next row adds 1 (mod n).
  const first = [0];
  for (let i = 1; first.length < n; i++) {
    first.push(i);
    if (first.length < n) first.push(n - i);
  }
  const square = Array.from({ length: n }, (_, row) =>
    first.map((column) => keys[(column + row) % n] as T),
  );
  // With an odd number one square leaves the pairs uneven; its mirror evens them.
  return n % 2 === 0 ? square : [...square, ...square.map((order) => [...order].reverse())];
}
