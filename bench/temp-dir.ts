import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'sessionlog-bench-';

/**
 * Runs `work` with a fresh directory on the real disk (os.tmpdir(), not a tmpfs: fsync has
 * to cost what it costs in production) and deletes the directory afterwards, also on failure
 * and on Ctrl-C when the process gets to handle it (the rebuild log alone is several hundred
 * megabytes).
 */
export async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  removeAbandoned();
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const interrupted = (signal: NodeJS.Signals) => {
    remove();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    return await work(dir);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    remove();
  }
}

/** Deletes a SQLite file with its WAL and shared-memory files, so rounds do not fill the disk. */
export function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}

/**
 * An empty directory inside `dir` for the bench's sessions to run in (their `cwd`). Not `dir`
 * itself: the server watches a new session's cwd, and the log files changing there would
 * become FileChanged events, so the bench would measure its own echo.
 */
export function sessionsCwd(dir: string): string {
  const cwd = join(dir, 'sessions-cwd');
  mkdirSync(cwd, { recursive: true });
  return cwd;
}

/**
 * Deletes the directories of earlier runs whose process is gone. A run cannot always clean up:
 * tsx kills its child 60 ms after Ctrl-C unless the child answers, and a child inside a
 * synchronous SQLite loop (a raw round, a rebuild) cannot. A run still going keeps its own.
 */
function removeAbandoned(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length).split('-')[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && !isRunning(pid)) {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 only asks whether the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
