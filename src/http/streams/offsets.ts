/**
 * Durable Streams offsets for a log whose positions are 1, 2, 3, …: the offset after position
 * P is P in 16 decimal digits, so that offsets sort as text exactly as positions sort as
 * numbers (the protocol lets a client compare offsets lexicographically). `-1` (the start)
 * and `now` (the tail) are the protocol's sentinels; no offset minted here is either.
 */
export const OFFSET_DIGITS = 16;
const OFFSET = /^\d{16}$/;

export function formatOffset(position: number): string {
  return String(position).padStart(OFFSET_DIGITS, '0');
}

/** Where a read starts: after a position, or at the tail (`now`). */
export type ReadStart = { after: number } | 'now';

/** The start a query's `offset` names, or why it names none (a 400). */
export function parseOffset(values: readonly string[]): ReadStart | { problem: string } {
  if (values.length === 0) return { after: 0 };
  if (values.length > 1) return { problem: 'offset must be given at most once' };
  const [value = ''] = values;
  if (value === '-1') return { after: 0 };
  if (value === 'now') return 'now';
  if (!OFFSET.test(value)) {
    return {
      problem: `offset ${JSON.stringify(value)} is not -1, now, or an offset this stream gave (${OFFSET_DIGITS} digits)`,
    };
  }
  return { after: Number(value) };
}

/** Catch-up chunks end on multiples of this many positions, so a complete one never changes. */
export const CHUNK_POSITIONS = 1000;

/** The first chunk boundary strictly after `position`. */
export function boundaryAfter(position: number, size = CHUNK_POSITIONS): number {
  return (Math.floor(position / size) + 1) * size;
}
