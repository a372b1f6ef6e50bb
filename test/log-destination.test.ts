import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { requestId } from '../src/http/request-id.js';
import { requestLog } from '../src/http/request-log.js';
import { createLogger, fixedInfoLine, logDestination } from '../src/observe/logger.js';
import { useTempDir } from './support/temp-dir.js';

describe('the server log writer', () => {
  const dir = useTempDir();

  it('writes as soon as 64 KiB of lines have gathered, not a second later', async () => {
    const file = join(dir(), 'server.log');
    const destination = logDestination(file);
    const logger = createLogger({ destination });
    const line = fixedInfoLine(logger, { route: '/api/sessions' }, 'request');
    const padding = 'x'.repeat(900);
    // 80 lines of ~1 KiB: past 64 KiB at about the 68th.
    for (let i = 0; i < 80; i++) line?.(`"i":${i},"padding":"${padding}"`);
    // Well before the second after which anything gathered is written anyway.
    const lines = () => readFileSync(file, 'utf8').split('\n').filter(Boolean);
    await vi.waitFor(() => expect(lines().length).toBeGreaterThanOrEqual(60), {
      timeout: 700,
      interval: 20,
    });
    const written = lines();
    expect(written.length).toBeLessThan(80);
    expect(JSON.parse(written[0] as string)).toMatchObject({ i: 0, route: '/api/sessions' });
    destination.end();
  });

  it('writes a lone line within a second, though lines gather to 64 KiB, and stops with its writer', async () => {
    const file = join(dir(), 'server.log');
    const destination = logDestination(file);
    const logger = createLogger({ destination });
    logger.info({ route: '/api/health' }, 'request');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Gathered: far below 64 KiB, nothing written yet.
    expect(readFileSync(file, 'utf8')).toBe('');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      route: '/api/health',
      msg: 'request',
    });
    // An ended writer is flushed no more (a flush of it would throw in a timer).
    destination.end();
    await new Promise((resolve) => setTimeout(resolve, 1500));
  });
});

describe('the server log writer at the end of a process', () => {
  const dir = useTempDir();
  const logger = resolve('dist/observe/logger.js');
  // A process that logs two lines and ends at once, long before a second has passed.
  const ends = {
    'its event loop runs dry': '',
    'it calls process.exit': 'process.exit(0);',
    'it throws': "setTimeout(() => { throw new Error('boom'); }, 10);",
  };

  for (const [how, ending] of Object.entries(ends)) {
    it(`writes every line gathered when ${how}`, async () => {
      expect(existsSync(logger), 'dist/ is built by `npm test` (npm run build)').toBe(true);
      const file = join(dir(), 'ending.log');
      const script = `const { createLogger, logDestination } = await import(${JSON.stringify(logger)});
        const logger = createLogger({ destination: logDestination(${JSON.stringify(file)}) });
        logger.info('started');
        logger.info({ route: '/api/health' }, 'request');
        ${ending}`;
      await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]).catch(
        () => {},
      );
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['started', 'request']);
    });
  }
});

describe('the logger of what runs outside a server', () => {
  it('loads pino at its first line, and writes warnings on standard error as pino does', async () => {
    const logger = resolve('dist/observe/logger.js');
    expect(existsSync(logger), 'dist/ is built by `npm test` (npm run build)').toBe(true);
    const script = `import { createRequire } from 'node:module';
      const { fallbackLogger } = await import(${JSON.stringify(logger)});
      const pinoLoaded = () =>
        Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('/node_modules/pino/'));
      const log = fallbackLogger();
      process.stdout.write(JSON.stringify({ before: pinoLoaded(), level: log.level }) + '\\n');
      log.info('not at warn');
      log.warn({ projection: 'sessions' }, 'first');
      log.child({ part: 'watcher' }).error('second');
      process.stdout.write(JSON.stringify({ after: pinoLoaded() }) + '\\n');`;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [
      '--input-type=module',
      '-e',
      script,
    ]);
    // Asking its level makes it: what a store does at start does not.
    expect(
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([{ before: false, level: 'warn' }, { after: true }]);
    const lines = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toMatchObject([
      { level: 40, projection: 'sessions', msg: 'first' },
      { level: 50, part: 'watcher', msg: 'second' },
    ]);
  });
});

describe('the request line put together from its fields', () => {
  const fields = { requestId: 'req-1', status: 201, ms: 1.5, position: 7 };
  const members = '"requestId":"req-1","status":201,"ms":1.5,"position":7';
  const route = { method: 'POST', route: '/api/sessions' };
  const sameTime = (line: string) => line.replace(/"time":\d+/, '"time":0');

  it('is the line pino writes for the same fields, in JSON and pretty, secrets scrubbed', () => {
    for (const format of ['json', 'pretty'] as const) {
      const lines: string[] = [];
      const logger = createLogger({
        format,
        destination: { write: (line) => void lines.push(line) },
        secrets: ['req-1'],
      });
      logger.child(route).info(fields, 'request');
      fixedInfoLine(logger, route, 'request')?.(members);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain('[redacted]');
      const [viaPino, fixed] = lines.map(format === 'json' ? sameTime : (l) => l.slice(12));
      expect(fixed).toBe(viaPino);
    }
  });

  it('is not offered for a logger made elsewhere', () => {
    expect(fixedInfoLine(pino({ level: 'info' }), route, 'request')).toBeUndefined();
  });
});

describe('the request log through a logger made elsewhere', () => {
  it('writes the same fields through pino', async () => {
    const lines: string[] = [];
    const app = new Hono();
    app.use(requestId());
    app.use(requestLog({ logger: pino({}, { write: (line: string) => void lines.push(line) }) }));
    app.post('/api/sessions', (c) => {
      c.set('written', 7);
      return c.json({}, 201);
    });
    await app.request('/api/sessions', { method: 'POST', headers: { 'x-request-id': 'req-9' } });
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        msg: 'request',
        method: 'POST',
        route: '/api/sessions',
        requestId: 'req-9',
        status: 201,
        position: 7,
        ms: expect.any(Number),
      }),
    ]);
  });
});
