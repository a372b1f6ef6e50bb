import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../src/events/uuid-v7.js';

describe('uuidv7', () => {
  it('is a version 7, variant 10 UUID whose first 48 bits are the time in milliseconds', () => {
    const id = uuidv7(0x0189_3a2b_4c5d);
    expect(id).toMatch(/^01893a2b-4c5d-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sorts in the order of creation across milliseconds, and never repeats', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 5000 }, () => uuidv7())).size).toBe(5000);
  });
});
