import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import type { Session } from '../src/sessions/session.js';
import { useServers } from './support/server.js';
import { useTempDir } from './support/temp-dir.js';
import { engineFor, until } from './support/web-engine.js';

/**
 * Property: the dashboard's sync engine ends with the server's table, whatever interleaving of
 * writes, cut connections, restarts on the same log and resets to another log it went through,
 * and never applies an event twice.
 */

/** Which open session a step acts on: an index, modulo how many there are. */
type Step =
  | { kind: 'start'; via: 'api' | 'log'; confirm: boolean }
  | {
      kind: 'patch';
      pick: number;
      status: 'in_progress' | 'completed' | 'failed' | undefined;
      confirm: boolean;
    }
  | { kind: 'delete'; pick: number; confirm: boolean }
  | { kind: 'file'; pick: number }
  | { kind: 'watchFailure'; pick: number }
  | { kind: 'update'; pick: number }
  | { kind: 'cut' }
  | { kind: 'pause'; ms: number }
  | { kind: 'restart' }
  | { kind: 'reset' };

const pick = fc.nat({ max: 20 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('start' as const),
      via: fc.constantFrom('api' as const, 'log' as const),
      confirm: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('patch' as const),
      pick,
      status: fc.constantFrom(
        'in_progress' as const,
        'completed' as const,
        'failed' as const,
        undefined,
      ),
      confirm: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), pick, confirm: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('file' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('watchFailure' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('update' as const), pick }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'cut' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('pause' as const),
      ms: fc.integer({ min: 0, max: 40 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
);

const byId = (sessions: Iterable<Session>) =>
  [...sessions].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe('the dashboard sync engine, for random schedules', () => {
  const startServer = useServers();
  const dir = useTempDir();
  let files = 0;
  const freshFile = () => join(dir(), `log-${++files}.db`);

  /**
   * One request on its own connection. Not `fetch`: its keep-alive pool may hand a request a
   * socket the previous server (same port) closed a moment ago, which fails on the client side.
   */
  function call(server: RunningServer, method: string, path: string, body?: unknown) {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<{ status: number; json: unknown }>((resolve, reject) => {
      const req = request(
        `${server.url}${path}`,
        { method, agent: false, headers: { 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            resolve({ status: res.statusCode ?? 0, json: text === '' ? null : JSON.parse(text) });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async function api(server: RunningServer, method: string, path: string, body?: unknown) {
    const { status, json } = await call(server, method, path, body);
    if (status < 200 || status >= 300) {
      throw new Error(`${method} ${path}: ${status} ${JSON.stringify(json)}`);
    }
    return json as { session: Session; position: number };
  }

  async function health(server: RunningServer) {
    return (await call(server, 'GET', '/api/health')).json as { head: number };
  }

  it('converges to the server table after writes, cuts, restarts and resets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 14, size: 'medium' }),
        fc.integer({ min: 0, max: 3 }),
        async (steps, before) => {
          let db = freshFile();
          let server = await startServer({ db });
          const { port } = server;
          /** Sessions of the current log that accept changes (not ended, not deleted). */
          let open: string[] = [];
          /** Ended ones: they can still be deleted. */
          let ended: string[] = [];
          const startOne = async (via: 'api' | 'log', confirm: boolean) => {
            if (via === 'api') {
              const { session, position } = await api(server, 'POST', '/api/sessions', {
                cwd: dir(),
                name: `s${open.length}`,
              });
              if (confirm) engine.confirm(session, position);
              open.push(session.id);
            } else {
              const { session } = await server.log.commands.start({
                cwd: '/tmp',
                hostname: 'h',
                platform: 'linux',
              });
              open.push(session.id);
            }
          };

          const { engine, sockets } = engineFor(server.url);
          /** Every applied event as [epoch, position]. */
          const applied: [number, number][] = [];
          engine.onEvents((events) => {
            for (const event of events) applied.push([engine.epoch.value, event.position]);
          });
          try {
            for (let i = 0; i < before; i++) await startOne('log', false);
            engine.start();

            for (const s of steps) {
              const target = (n: number) => open[n % open.length];
              switch (s.kind) {
                case 'start':
                  await startOne(s.via, s.confirm);
                  break;
                case 'patch': {
                  const id = target(s.pick);
                  if (id === undefined) break;
                  const { session, position } = await api(server, 'PATCH', `/api/sessions/${id}`, {
                    name: `p${s.pick}`,
                    ...(s.status === undefined ? {} : { status: s.status }),
                  });
                  if (s.confirm) engine.confirm(session, position);
                  if (s.status === 'completed' || s.status === 'failed') {
                    open = open.filter((o) => o !== id);
                    ended.push(id);
                  }
                  break;
                }
                case 'delete': {
                  const all = [...open, ...ended];
                  const id = all[s.pick % Math.max(1, all.length)];
                  if (id === undefined) break;
                  const { position } = await api(server, 'DELETE', `/api/sessions/${id}`);
                  if (s.confirm) engine.confirmDeleted(id, position);
                  open = open.filter((o) => o !== id);
                  ended = ended.filter((o) => o !== id);
                  break;
                }
                case 'file': {
                  const id = target(s.pick);
                  if (id !== undefined) {
                    await server.log.commands.recordFileChange(id, {
                      change: 'created',
                      path: `f${s.pick}.txt`,
                      kind: 'file',
                    });
                  }
                  break;
                }
                case 'watchFailure': {
                  const id = target(s.pick);
                  if (id !== undefined)
                    await server.log.commands.recordWatchFailure(id, { error: 'ENOSPC' });
                  break;
                }
                case 'update': {
                  const id = target(s.pick);
                  if (id !== undefined)
                    await server.log.commands.update(id, { summary: `u${s.pick}` });
                  break;
                }
                case 'cut':
                  sockets.cutAll();
                  break;
                case 'pause':
                  await sleep(s.ms);
                  break;
                case 'restart':
                  await server.close();
                  server = await startServer({ db, port });
                  break;
                case 'reset':
                  await server.close();
                  db = freshFile();
                  server = await startServer({ db, port });
                  open = [];
                  ended = [];
                  break;
              }
            }

            const { head } = await health(server);
            await until(
              () => engine.position.value === head && engine.connection.value.state === 'live',
              {
                timeout: 15_000,
                what: `position ${head}, live (at ${engine.position.value}, ${engine.connection.value.state})`,
              },
            );
            expect(engine.logId.value).toBe(server.log.store.logId);
            const { sessions } = (await call(server, 'GET', '/api/sessions')).json as {
              sessions: Session[];
            };
            expect(byId(engine.sessions.value.values())).toEqual(byId(sessions));

            // Within one epoch (one snapshot and its tail), each position is applied once, in order.
            for (let i = 1; i < applied.length; i++) {
              const [epoch, position] = applied[i] as [number, number];
              const [lastEpoch, lastPosition] = applied[i - 1] as [number, number];
              if (epoch === lastEpoch)
                expect(position, `event ${i} of ${applied.length}`).toBeGreaterThan(lastPosition);
            }
          } finally {
            engine.stop();
            await server.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 180_000);
});
