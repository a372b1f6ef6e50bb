import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

/**
 * One server per log file: a second one would append fine, but its clients would not see the
 * first one's commits live (commit notifications are in-process). The lock is a file holding
 * the owner's pid; a lock whose process is gone (killed, crashed) is taken over.
 */
export function lockLogFile(file: string): { release(): void } {
  const lock = `${file}.lock`;
  const owner = { pid: process.pid, hostname: hostname(), since: new Date().toISOString() };
  // The lock comes before the log: its folder may not exist yet (./data on a fresh clone).
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, JSON.stringify(owner), { flag: 'wx' });
      return { release: () => rmSync(lock, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(lock);
    // A holder on another machine (a shared disk) cannot be checked: assume it is alive.
    if (holder !== undefined && (holder.hostname !== owner.hostname || isAlive(holder.pid))) {
      throw new Error(
        `${file} is already served by another sessionlog (pid ${holder.pid}, since ${holder.since}); ` +
          'its clients would not see this server’s writes live. Stop it first, or use another --db.',
      );
    }
    rmSync(lock, { force: true });
  }
  throw new Error(`could not lock ${file}: ${lock} keeps reappearing`);
}

function readHolder(lock: string): { pid: number; hostname: string; since: string } | undefined {
  try {
    return JSON.parse(readFileSync(lock, 'utf8'));
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
