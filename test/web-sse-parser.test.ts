import { describe, expect, it } from 'vitest';
import { SseParser } from '../src/protocol/sse-parser.js';

describe('the text/event-stream parser the dashboard and the test kit share', () => {
  const wire =
    'retry: 2000\n\nevent: hello\ndata: {"type":"hello"}\n\n: heartbeat\n\n' +
    'id: 7\r\nevent: SessionStarted\r\ndata: {"position":7}\r\n\r\n' +
    'id: 8\revent: live\rdata:{"a":1,\rdata: "b":2}\r\r';
  const expected = [
    { type: 'message', event: 'hello', data: '{"type":"hello"}', id: undefined },
    { type: 'comment', text: 'heartbeat' },
    { type: 'message', event: 'SessionStarted', data: '{"position":7}', id: '7' },
    { type: 'message', event: 'live', data: '{"a":1,\n"b":2}', id: '8' },
  ];

  it('reads messages, ids and comments, with any line ending', () => {
    expect(new SseParser().feed(wire)).toEqual(expected);
  });

  it('gives the same whatever the chunks, even a CR and its LF apart', () => {
    for (let cut = 1; cut < wire.length; cut++) {
      const parser = new SseParser();
      expect([...parser.feed(wire.slice(0, cut)), ...parser.feed(wire.slice(cut))]).toEqual(
        expected,
      );
    }
  });
});
