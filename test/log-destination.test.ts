import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, fixedInfoLine, logDestination } from '../src/observe/logger.js';
import { useTempDir } from './support/temp-dir.js';

describe('the server log writer', () => {
  const dir = useTempDir();

  it('writes a lone line within a second, though lines gather to 4 KiB, and stops with its writer', async () => {
    const file = join(dir(), 'server.log');
    const destination = logDestination(file);
    const logger = createLogger({ destination });
    logger.info({ route: '/api/health' }, 'request');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Gathered: far below 4 KiB, nothing written yet.
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
