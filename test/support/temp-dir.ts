import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** A fresh directory on the real disk for each test, removed after it. */
export function useTempDir(): () => string {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    dir ??= mkdtempSync(join(tmpdir(), 'sessionlog-test-'));
    return dir;
  };
}

/** A log file path inside the test's temp directory. */
export function useLogFile(): () => string {
  const dir = useTempDir();
  return () => join(dir(), 'log.db');
}
