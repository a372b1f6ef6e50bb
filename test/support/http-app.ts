import { realpathSync } from 'node:fs';
import { afterEach, expect } from 'vitest';
import { type AppDeps, createApp } from '../../src/http/app.js';
import { openSessionlog, type SqliteSessionlog } from '../../src/stores/sqlite/open-sqlite.js';
import { checkAnswer } from './openapi-check.js';
import { useLogFile, useTempDir } from './temp-dir.js';

export interface TestApp {
  app: ReturnType<typeof createApp>;
  log: SqliteSessionlog;
  /** A directory that exists, as its realpath: a valid cwd. */
  workDir: string;
  request(path: string, init?: RequestInit): Promise<Response>;
  /** A JSON request (`Content-Type: application/json`). */
  send(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** Starts a session through the API and returns its id. */
  start(body?: Record<string, unknown>): Promise<string>;
  /**
   * Runs a request that must be refused with `status` as problem+json, asserts the log did not
   * move, and returns the problem document.
   */
  refused(status: number, request: () => Promise<Response>): Promise<Problem>;
}

type Overrides = Partial<Omit<AppDeps, 'log'>>;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
  headers: Headers;
}

/**
 * An app on a real SQLite file in a fresh temp dir, closed after each test; requests go
 * through `app.request()`, without a port.
 */
export function useApp(defaults: Overrides = {}) {
  const logFile = useLogFile();
  const work = useTempDir();
  const opened: SqliteSessionlog[] = [];
  afterEach(async () => {
    for (const log of opened.splice(0)) await log.close();
  });

  /** `overrides` may depend on the work directory (roots inside it, say). */
  return (overrides: Overrides | ((workDir: string) => Overrides) = {}): TestApp => {
    const workDir = realpathSync(work());
    const log = openSessionlog({ db: logFile(), durability: 'normal' });
    opened.push(log);
    const app = createApp({
      log,
      policy: { allowedOrigins: [], boundHost: '127.0.0.1' },
      roots: [],
      createRate: 0,
      ...defaults,
      ...(typeof overrides === 'function' ? overrides(workDir) : overrides),
    });
    // Every answer is checked against the OpenAPI document: a mismatch fails the test.
    const request = async (path: string, init?: RequestInit) => {
      const response = await app.request(path, init);
      await checkAnswer(init?.method ?? 'GET', path, response);
      return response;
    };
    const send = (method: string, path: string, body?: unknown, headers = {}) =>
      request(path, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    return {
      app,
      log,
      workDir,
      request,
      send,
      async start(body = {}) {
        const response = await send('POST', '/api/sessions', { cwd: workDir, ...body });
        expect(response.status).toBe(201);
        return ((await response.json()) as { session: { id: string } }).session.id;
      },
      async refused(status, run) {
        const before = await log.store.head();
        const response = await run();
        const document = (await response.json()) as Omit<Problem, 'headers'>;
        expect({ status: response.status, document }).toMatchObject({
          status,
          document: { status },
        });
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(await log.store.head()).toBe(before);
        return { ...document, headers: response.headers };
      },
    };
  };
}
