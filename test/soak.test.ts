import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { freePort, residentBytes, serveChild } from './support/server-child.js';
import { useTempDir } from './support/temp-dir.js';

// SESSIONLOG_SOAK=1 npx vitest run test/soak.test.ts (SESSIONLOG_SOAK_SECONDS to run longer).
const SOAK = process.env.SESSIONLOG_SOAK === '1';
const SECONDS = Math.max(60, Number(process.env.SESSIONLOG_SOAK_SECONDS ?? 60) || 60);
const LANES = 10; // sequential writers, 5 writes/s each: 50 writes/s
const WRITE_INTERVAL_MS = 200;
const READS_PER_SECOND = 10;
const CLIENTS = 200;
const SLOW = 40; // pause their socket now and then (of them, STALLING join late and stall)
// Join 10 s in from position 0 and read nothing until 5 s before the end. Should the server
// stay above its high water mark for them over 30 s, it closes them (4408) and they resume by
// position; at 50 writes/s, loopback's kernel buffers may well hold all they miss instead.
const STALLING = 8;
const STALL_FROM_MS = 10_000;
const SAMPLE_MS = 2000;
const WARM_UP_MS = 10_000;

type SocketWithTcp = WebSocket & { _socket: { pause(): void; resume(): void } | null };

/** A /ws client that checks, frame by frame, that it gets position last + 1 and nothing else. */
class SoakClient {
  last = 0;
  delivered = 0;
  connections = 0;
  tooSlow = 0;
  otherCloses = 0;
  readonly violations: string[] = [];
  #socket: SocketWithTcp | undefined;
  #stopped = false;

  constructor(readonly url: string) {}

  /** `pauseOnOpen`: stop reading at once, before the kernel's buffers have grown. */
  connect(pauseOnOpen = false): void {
    const socket = new WebSocket(`${this.url}ws?after=${this.last}`) as SocketWithTcp;
    this.#socket = socket;
    socket.on('open', () => {
      this.connections++;
      if (pauseOnOpen) socket._socket?.pause();
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as {
        type: string;
        position?: number;
        events?: { position: number }[];
      };
      if (frame.type === 'events') {
        for (const { position } of frame.events ?? []) {
          if (position !== this.last + 1)
            this.violations.push(`got ${position} after ${this.last}`);
          this.last = position;
          this.delivered++;
        }
      } else if (frame.type === 'live' || frame.type === 'position') {
        // Unfiltered: a watermark never runs ahead of the events delivered.
        if ((frame.position ?? 0) > this.last)
          this.violations.push(`${frame.type} ${frame.position} ahead of ${this.last}`);
      } else if (frame.type === 'error' || frame.type === 'reset') {
        this.violations.push(JSON.stringify(frame));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', (code) => {
      if (code === 4408) this.tooSlow++;
      else if (!this.#stopped) this.otherCloses++;
      if (!this.#stopped) setTimeout(() => this.connect(), 20 + Math.random() * 80);
    });
  }

  pause(): boolean {
    const tcp = this.#socket?.readyState === WebSocket.OPEN ? this.#socket._socket : null;
    tcp?.pause();
    return tcp !== null && tcp !== undefined;
  }

  resume(): void {
    this.#socket?._socket?.resume();
  }

  async close(): Promise<void> {
    this.#stopped = true;
    const socket = this.#socket;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return;
    socket._socket?.resume();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.close(1000);
    await Promise.race([closed, sleep(2000)]);
    socket.terminate();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

describe.skipIf(!SOAK)('soak (SESSIONLOG_SOAK=1: at least 60 s of steady mixed load)', () => {
  const tempDir = useTempDir();

  it(
    `holds ${SECONDS} s of 50 writes/s, ${READS_PER_SECOND} reads/s and ${CLIENTS} WebSocket clients (${SLOW} slow) with flat memory and no error`,
    async () => {
      const dir = tempDir();
      const port = await freePort();
      const server = await serveChild(join(dir, 'log.db'), port);
      const url = `http://127.0.0.1:${port}/`;
      const wsUrl = url.replace(/^http/, 'ws');
      const started = Date.now();
      const until = started + SECONDS * 1000;

      const statuses = new Map<number, number>();
      const unexpected: string[] = [];
      let expected4xx = 0;
      let requests = 0;
      let writes = 0;

      /** One request; `expect4xx` names the refusal a request was built to get. */
      async function call(
        method: string,
        path: string,
        body?: unknown,
        headers: Record<string, string> = {},
        expect4xx?: number,
      ): Promise<unknown> {
        requests++;
        try {
          const response = await fetch(new URL(path, url), {
            method,
            headers: {
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              ...headers,
            },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const answer = await response.json().catch(() => undefined);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (expect4xx !== undefined && response.status === expect4xx) expected4xx++;
          else if (!response.ok)
            unexpected.push(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
          return answer;
        } catch (error) {
          unexpected.push(`${method} ${path}: ${(error as Error).message}`);
          return undefined;
        }
      }

      /** Sequential: create, 8 updates, end (and every third session, one update too many). */
      async function lane(n: number): Promise<void> {
        let tick = 0;
        const paced = async () => {
          const due = started + tick++ * WRITE_INTERVAL_MS + (n * WRITE_INTERVAL_MS) / LANES;
          await sleep(Math.max(0, due - Date.now()));
          writes++;
        };
        for (let s = 0; Date.now() < until; s++) {
          const key = `lane${n}-s${s}`;
          await paced();
          const created = (await call(
            'POST',
            '/api/sessions',
            { cwd: dir, name: key },
            { 'idempotency-key': key },
          )) as { session?: { id: string } } | undefined;
          const id = created?.session?.id;
          if (id === undefined) continue;
          const path = `/api/sessions/${encodeURIComponent(id)}`;
          for (let u = 0; u < 8 && Date.now() < until; u++) {
            await paced();
            const body = u % 2 === 0 ? { name: `${key} v${u}` } : { summary: `step ${u}` };
            // Half with a key of their own, half without.
            await call('PATCH', path, body, u % 4 < 2 ? { 'idempotency-key': `${key}-u${u}` } : {});
          }
          await paced();
          await call('PATCH', path, { status: 'completed', summary: 'done' });
          if (s % 3 === 2) {
            await paced();
            await call('PATCH', path, { name: 'too late' }, {}, 409);
          }
        }
      }

      async function readsLoop(): Promise<void> {
        for (let i = 0; Date.now() < until; i++) {
          await sleep(1000 / READS_PER_SECOND);
          if (i % 3 === 0) await call('GET', '/api/sessions?status=in_progress');
          else if (i % 3 === 1) await call('GET', '/api/health');
          else {
            const head = ((await call('GET', '/api/health')) as { head?: number })?.head ?? 0;
            await call('GET', `/api/events?after=${Math.max(0, head - 50)}&limit=50`);
          }
        }
      }

      const clients = Array.from({ length: CLIENTS }, () => new SoakClient(wsUrl));
      for (const client of clients.slice(STALLING)) client.connect();

      /** Slow clients pause their socket for 2–8 s now and then; stalling ones join and stall. */
      async function slowLoop(client: SoakClient, stalls: boolean): Promise<void> {
        if (stalls) {
          await sleep(started + STALL_FROM_MS - Date.now());
          client.connect(true);
          await sleep(until - 5000 - Date.now());
          client.resume(); // reads what was buffered (and a 4408, if any: then resumes by position)
          return;
        }
        await sleep(Math.random() * 5000);
        while (Date.now() < until - 10_000) {
          if (client.pause()) await sleep(2000 + Math.random() * 6000);
          client.resume();
          await sleep(1000 + Math.random() * 4000);
        }
      }

      const rss: { at: number; bytes: number }[] = [];
      const sampler = setInterval(() => {
        const bytes = residentBytes(server.pid);
        if (bytes !== undefined) rss.push({ at: Date.now() - started, bytes });
      }, SAMPLE_MS);

      try {
        await Promise.all([
          ...Array.from({ length: LANES }, (_, n) => lane(n)),
          readsLoop(),
          ...clients.slice(0, SLOW).map((client, i) => slowLoop(client, i < STALLING)),
        ]);
      } finally {
        clearInterval(sampler);
      }
      const elapsed = (Date.now() - started) / 1000;

      // Every client catches up with the head, having seen each position once.
      const head = ((await call('GET', '/api/health')) as { head: number }).head;
      for (const client of clients) client.resume();
      const deadline = Date.now() + 60_000;
      while (clients.some((c) => c.last < head) && Date.now() < deadline) await sleep(200);
      await Promise.all(clients.map((client) => client.close()));
      expect(await server.stop()).toBe(0);

      const warm = rss.filter((s) => s.at >= WARM_UP_MS).map((s) => s.bytes);
      const third = Math.floor(warm.length / 3);
      const first = median(warm.slice(0, third));
      const last = median(warm.slice(-third));
      const all = rss.map((s) => s.bytes);
      const delivered = clients.reduce((sum, c) => sum + c.delivered, 0);
      const connections = clients.reduce((sum, c) => sum + c.connections, 0);
      const tooSlow = clients.reduce((sum, c) => sum + c.tooSlow, 0);
      const otherCloses = clients.reduce((sum, c) => sum + c.otherCloses, 0);
      console.log(
        [
          `soak: ${elapsed.toFixed(1)} s, head ${head}`,
          `  HTTP: ${requests} requests (${(requests / elapsed).toFixed(1)}/s; writes ${writes}, ${(writes / elapsed).toFixed(1)}/s); ` +
            `statuses ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')}; ` +
            `expected 4xx ${expected4xx}; unexpected ${unexpected.length}`,
          `  WebSocket: ${CLIENTS} clients (${SLOW} slow, ${STALLING} stalling), ${delivered} deliveries ` +
            `(${(delivered / elapsed).toFixed(0)}/s), ${connections} connections, ${tooSlow} closed 4408 and resumed, ` +
            `${otherCloses} other closes`,
          `  server RSS: min ${mib(Math.min(...all))}, median ${mib(median(all))}, max ${mib(Math.max(...all))}; ` +
            `after warm-up first third ${mib(first)}, last third ${mib(last)} (${rss.length} samples every ${SAMPLE_MS / 1000} s)`,
          `  RSS samples (MiB): ${rss.map((r) => (r.bytes / 1024 / 1024).toFixed(0)).join(' ')}`,
        ].join('\n'),
      );

      expect(unexpected.slice(0, 20)).toEqual([]);
      expect(elapsed).toBeGreaterThanOrEqual(60);
      expect(writes / elapsed).toBeGreaterThan(45);
      expect(expected4xx).toBeGreaterThan(0);
      for (const client of clients) {
        expect(client.violations.slice(0, 5)).toEqual([]);
        expect(client.last).toBe(head);
      }
      expect(delivered).toBe(head * CLIENTS);
      expect(warm.length).toBeGreaterThanOrEqual(15);
      expect(last).toBeLessThanOrEqual(first * 1.2);
    },
    (SECONDS + 180) * 1000,
  );
});
