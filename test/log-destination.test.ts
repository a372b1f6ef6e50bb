import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, logDestination } from '../src/observe/logger.js';
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
