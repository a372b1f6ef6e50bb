import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import * as ws from 'ws';
import { textFrame } from '../src/http/gateway/ws-wire-frame.js';
import { subscribe } from '../src/testing/index.js';
import { describeEachBackend } from './support/backends.js';
import { appendMany, useServers } from './support/server.js';

// ws's own frame parser, as a client runs it (its type declarations leave it out).
const { Receiver } = ws as unknown as {
  Receiver: new (options: { isServer: boolean }) => Writable & EventEmitter;
};

it('frames a payload as ws reads it, at each length encoding (7-bit, 16-bit, 64-bit)', async () => {
  for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 300_000]) {
    const payload = Buffer.alloc(length, 'a');
    const receiver = new Receiver({ isServer: false });
    const message = new Promise<[Buffer, boolean]>((resolve, reject) => {
      receiver.on('message', (data: Buffer, isBinary: boolean) => resolve([data, isBinary]));
      receiver.on('error', reject);
    });
    receiver.write(textFrame(payload));
    const [data, isBinary] = await message;
    expect(isBinary, `length ${length}`).toBe(false);
    expect(data.equals(payload), `length ${length}`).toBe(true);
  }
});

describeEachBackend('commit frames framed once for every client', (logFile) => {
  const start = useServers();

  it('reach each client whole and in order, a commit of 500 events (over 64 KiB) included', async () => {
    const server = await start({ db: logFile() });
    const clients = await Promise.all([subscribe(server.url), subscribe(server.url)]);
    // Live commits, each fanned out alone (the next waits for it): one of an event, one of
    // 200 (a frame with a 16-bit length), one of 500 (a 64-bit length).
    for (const [count, head] of [
      [1, 1],
      [200, 201],
      [500, 701],
    ] as const) {
      await appendMany(server, count);
      for (const client of clients) await client.waitFor(head);
    }
    for (const client of clients) {
      expect(client.events.map((event) => event.position)).toEqual(
        Array.from({ length: 701 }, (_, i) => i + 1),
      );
      const sizes = client.frames.flatMap((f) => (f.type === 'events' ? [f.events.length] : []));
      expect(sizes).toEqual([1, 200, 500]);
      await client.close();
    }
  });
});
