import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LevelWithSilent } from 'pino';
import { createLogger } from '../observe/logger.js';
import { runServer } from '../server.js';

export interface TestServerOptions {
  /**
   * The log: `':memory:'` (the default: gone on close), `'temporary'` (a file in a fresh
   * temporary directory, deleted on close: for tests that read the file too), a path
   * (kept), or a `postgres://…?schema=NAME` URL (kept; two servers on one URL are two
   * nodes of one log).
   */
  db?: string;
  /** Required on /api and /ws when set (SPEC, "Security defaults"). */
  token?: string;
  /** When given, a session's cwd must lie inside one of them. */
  roots?: readonly string[];
  allowedOrigins?: readonly string[];
  /** Session creations per minute per client (default 0: unlimited, tests create many). */
  createRate?: number;
  /** Default `normal`: a test has no power cut to survive, and fsync costs time. */
  durability?: 'full' | 'normal';
  /** Directories watched at once (default 0: file watching off, nothing moves by itself). */
  maxWatchers?: number;
  /** The server's log lines on stderr from this level up (default `warn`: test output stays quiet). */
  logLevel?: LevelWithSilent;
}

/** A sessionlog server for a test, on 127.0.0.1 and a free port. */
export interface TestServer {
  /** Its origin, e.g. `http://127.0.0.1:41234`: what `subscribe` takes. */
  readonly url: string;
  /** Its WebSocket gateway, `ws://127.0.0.1:41234/ws`. */
  readonly wsUrl: string;
  readonly token: string | undefined;
  /** The log's id (`hello` frames and /api/health name it). */
  readonly logId: string;
  /** The log file (`:memory:` for an in-memory log), or the PostgreSQL URL. */
  readonly db: string;
  /** `fetch` relative to the server, with the token as a bearer when there is one. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The position of the last committed event. */
  head(): Promise<number>;
  /** Stops the server (WebSockets close with 1001) and deletes a temporary log. */
  close(): Promise<void>;
}

/**
 * Starts a sessionlog server on a free port with an in-memory (or temporary) log: the whole
 * service, HTTP API and WebSocket gateway, as `sessionlog serve` runs it.
 *
 * @example
 * const server = await startServer();
 * try {
 *   await server.fetch('/api/sessions', { method: 'POST', body: JSON.stringify({ cwd: '/tmp' }) });
 * } finally {
 *   await server.close();
 * }
 */
export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { db = ':memory:', token, maxWatchers = 0, logLevel = 'warn', ...rest } = options;
  const dir = db === 'temporary' ? mkdtempSync(join(tmpdir(), 'sessionlog-')) : undefined;
  const file = dir === undefined ? db : join(dir, 'sessionlog.db');
  const removeDir = () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  };
  let server: Awaited<ReturnType<typeof runServer>>;
  try {
    server = await runServer({
      createRate: 0,
      durability: 'normal',
      ...rest,
      db: file,
      host: '127.0.0.1',
      port: 0,
      token,
      maxWatchers,
      logger: createLogger({ level: logLevel, secrets: token === undefined ? [] : [token] }),
    });
  } catch (error) {
    removeDir();
    throw error;
  }
  const { url, log } = server;
  let closing: Promise<void> | undefined;
  return {
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/ws`,
    token,
    logId: log.store.logId,
    db: file,
    fetch(path, init = {}) {
      const headers = new Headers(init.headers);
      if (token !== undefined && !headers.has('authorization')) {
        headers.set('authorization', `Bearer ${token}`);
      }
      if (init.body !== undefined && !headers.has('content-type')) {
        headers.set('content-type', 'application/json');
      }
      return fetch(new URL(path, url), { ...init, headers });
    },
    head: () => log.store.head(),
    close() {
      closing ??= server.close().finally(removeDir);
      return closing;
    },
  };
}
