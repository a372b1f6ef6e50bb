import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { ForbiddenError, ValidationError } from '../events/errors.js';
import { isInside, systemDirectoryRefusal } from '../sessions/system-directories.js';

/** Where a session may run (SPEC, "cwd rules"). */
export interface CwdPolicy {
  /** The directory's realpath, or a ValidationError (400) or ForbiddenError (403). */
  resolve(cwd: string): Promise<string>;
}

export interface CwdPolicyOptions {
  /** `--root` directories; when any is given, a cwd must lie inside one. */
  roots: readonly string[];
  platform?: NodeJS.Platform;
}

// PATH_MAX on Linux; the event schema refuses longer paths too.
const MAX_LENGTH = 4096;

/**
 * The cwd rules. Every check runs on the realpath, never on the name the client gave: a
 * symlink to /etc is /etc, and `/home/a/../../etc` is /etc too.
 */
export function cwdPolicy({ roots, platform = process.platform }: CwdPolicyOptions): CwdPolicy {
  const paths = platform === 'win32' ? path.win32 : path.posix;
  return {
    async resolve(cwd) {
      // Before the disk is touched: fs throws on NUL itself, but as a 500, not a 400.
      if (cwd.includes('\0')) throw invalid('must not contain NUL bytes');
      if (cwd.length > MAX_LENGTH) throw invalid(`must be at most ${MAX_LENGTH} characters`);
      if (!isAbsolute(cwd, platform)) throw invalid('must be an absolute path');
      // Synchronous on purpose: metadata lookups take microseconds, while a round trip
      // through the thread pool costs more than the lookups and leaves requests waiting.
      const real = resolveDirectory(cwd, platform);
      const refusal = systemDirectoryRefusal(real, platform);
      if (refusal !== undefined) throw new ForbiddenError(refusal);
      if (roots.length > 0) {
        // Resolved on each request: a root created or re-linked after start still counts.
        const realRoots = roots.map((root) => {
          try {
            return realpathSync.native(root);
          } catch {
            return paths.resolve(root);
          }
        });
        if (!realRoots.some((root) => isInside(real, root, platform))) {
          throw new ForbiddenError(`${real} is outside every --root`);
        }
      }
      return real;
    },
  };
}

/**
 * Whether the C library's realpath refuses a path with a trailing slash unless it names a
 * directory (glibc checks it with one more lookup, ENOTDIR otherwise): asked once, of the node
 * binary, a file. Then the realpath of `cwd/` is the whole check in one call, where the
 * realpath and a stat of it were two, each with its own system calls and objects.
 */
const REALPATH_CHECKS_DIRECTORY = (() => {
  try {
    realpathSync.native(`${process.execPath}/`);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOTDIR';
  }
})();

/**
 * The realpath of `cwd`, a directory, or a ValidationError. A failure of the one-call check
 * is looked at again the two-call way, which tells a file from a path that does not exist.
 */
function resolveDirectory(cwd: string, platform: NodeJS.Platform): string {
  if (REALPATH_CHECKS_DIRECTORY && platform === process.platform && platform !== 'win32') {
    try {
      return realpathSync.native(cwd.endsWith('/') ? cwd : `${cwd}/`);
    } catch {
      // Said below, the same way as without the one-call check.
    }
  }
  let real: string;
  try {
    real = realpathSync.native(cwd);
    if (!statSync(real).isDirectory()) throw invalid('is not a directory');
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw invalid(unresolvable(error));
  }
  return real;
}

function isAbsolute(cwd: string, platform: NodeJS.Platform): boolean {
  return platform === 'win32' ? /^([A-Za-z]:[\\/]|\\\\)/.test(cwd) : cwd.startsWith('/');
}

function invalid(message: string): ValidationError {
  return new ValidationError(`invalid cwd: ${message}`, [{ path: 'cwd', message }]);
}

function unresolvable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read by the server';
  if (code === 'ELOOP') return 'is a symlink loop';
  return `cannot be resolved (${code ?? String(error)})`;
}
