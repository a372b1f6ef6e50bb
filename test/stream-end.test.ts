import { describe, expect, it } from 'vitest';
import { type StreamSource, streamEnd } from '../src/http/streams/stream-source.js';

/** A stream whose log head and closing position are read as given (as two connections may). */
function source(head: number, closedAt: number | undefined): StreamSource {
  return {
    tag: 't',
    contentType: 'application/json',
    head: async () => head,
    read: async () => [],
    tail: undefined as never,
    closedAt: async () => closedAt,
  };
}

describe('streamEnd', () => {
  it('is open without a closing event, at the log head', async () => {
    expect(await streamEnd(source(7, undefined))).toEqual({ logHead: 7, head: 7, closed: false });
  });

  it('is closed at the closing event once the head reaches it', async () => {
    expect(await streamEnd(source(9, 5))).toEqual({ logHead: 9, head: 5, closed: true });
    expect(await streamEnd(source(5, 5))).toEqual({ logHead: 5, head: 5, closed: true });
  });

  it('is not closed yet when the head read lags the closing event (its reader would miss it)', async () => {
    expect(await streamEnd(source(4, 5))).toEqual({ logHead: 4, head: 4, closed: false });
  });
});
