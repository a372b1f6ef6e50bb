import { describe, expect, it } from 'vitest';
import { subscriptionUrl } from '../src/protocol/subscription-url.js';

// The CLI, the test kit and the dashboard's two transports all build their URLs here.
describe('subscriptionUrl', () => {
  const params = { after: 7, logId: 'log-1', streams: ['s1', 's2'], types: ['SessionEnded'] };

  it('builds /ws on the ws scheme, with the token in the query as a browser must send it', () => {
    const url = subscriptionUrl('http://127.0.0.1:3001', { ...params, token: 't0k' }, 'websocket');
    expect(url.toString()).toBe(
      'ws://127.0.0.1:3001/ws?after=7&logId=log-1&streams=s1%2Cs2&types=SessionEnded&token=t0k',
    );
    expect(subscriptionUrl('https://example.com', {}, 'websocket').toString()).toBe(
      'wss://example.com/ws',
    );
  });

  it('builds /api/events/stream on the same origin with the same query', () => {
    const url = subscriptionUrl('http://127.0.0.1:3001', params, 'event-stream');
    expect(url.toString()).toBe(
      'http://127.0.0.1:3001/api/events/stream?after=7&logId=log-1&streams=s1%2Cs2&types=SessionEnded',
    );
    expect(subscriptionUrl('http://127.0.0.1:3001', { after: 0 }, 'event-stream').search).toBe(
      '?after=0',
    );
  });
});
