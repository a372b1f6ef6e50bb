import { describe, expect, it } from 'vitest';
import { chunkedScan } from '../src/stores/chunked-scan.js';

/** A source of `chunks`, then empty, counting how its snapshot is let go. */
function source(chunks: number[][], failAt?: number) {
  const released: unknown[] = [];
  let reads = 0;
  const scan = chunkedScan(
    () => {
      reads++;
      if (reads === failAt) throw new Error('read failed');
      return chunks.shift() ?? [];
    },
    (error) => {
      released.push(error ?? 'done');
    },
  );
  return { scan, released };
}

describe('chunkedScan', () => {
  it('gives every chunk, then releases once at the end', async () => {
    const { scan, released } = source([[1, 2], [3]]);
    const seen: number[][] = [];
    for await (const chunk of scan) seen.push(chunk);
    expect(seen).toEqual([[1, 2], [3]]);
    expect(released).toEqual(['done']);
    expect(await scan.next()).toEqual({ done: true, value: undefined });
    expect(released).toEqual(['done']);
  });

  it('releases with the error when a read fails, and rethrows it', async () => {
    const { scan, released } = source([[1], [2]], 2);
    expect(await scan.next()).toEqual({ done: false, value: [1] });
    await expect(scan.next()).rejects.toThrow('read failed');
    expect(released).toHaveLength(1);
    expect((released[0] as Error).message).toBe('read failed');
  });

  it('releases when the reader stops early, even before its first read', async () => {
    const { scan, released } = source([[1], [2]]);
    await scan.return?.();
    expect(released).toEqual(['done']);
    expect(await scan.next()).toEqual({ done: true, value: undefined });

    const second = source([[1], [2]]);
    for await (const chunk of second.scan) {
      expect(chunk).toEqual([1]);
      break;
    }
    expect(second.released).toEqual(['done']);
  });
});
