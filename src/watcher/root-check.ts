import { constants } from 'node:fs';
import { access, type FileHandle, lstat, open, realpath } from 'node:fs/promises';
import { codeOf, describeError } from './watch-failures.js';

/** What tells a directory from another one later found at the same path. */
export interface DirectoryIdentity {
  dev: bigint;
  ino: bigint;
}

/** Whether `root` can be watched: why not, or the directory found there. */
export type RootCheck = { problem: string } | { identity: DirectoryIdentity };

/**
 * Checked before each run, and again while it runs against the directory it started on
 * (`expected`): chokidar reports a missing or unreadable root by watching nothing, silently,
 * and goes on watching a directory moved away, under the name of the one now in its place.
 */
export async function checkRoot(root: string, expected?: DirectoryIdentity): Promise<RootCheck> {
  try {
    const stats = await lstat(root, { bigint: true });
    // SPEC stores the cwd as a realpath: a symlink there now is not followed.
    if (stats.isSymbolicLink()) return { problem: `the directory became a symbolic link: ${root}` };
    if (!stats.isDirectory()) return { problem: `not a directory: ${root}` };
    if (expected !== undefined && (stats.dev !== expected.dev || stats.ino !== expected.ino)) {
      return { problem: `directory replaced: ${root}` };
    }
    // Nor is a link met higher up: the path would lead somewhere else than it did.
    if ((await realpath(root)) !== root) {
      return { problem: `the path now leads through a symbolic link: ${root}` };
    }
    await access(root, constants.R_OK | constants.X_OK);
    return { identity: { dev: stats.dev, ino: stats.ino } };
  } catch (error) {
    if (expected !== undefined && codeOf(error) === 'ENOENT') {
      return { problem: `directory removed: ${root}` };
    }
    return { problem: describeError(error, root) };
  }
}

/** The directory a run watches, held open for as long as it runs. */
export interface HeldRoot {
  identity: DirectoryIdentity;
  release(): Promise<void>;
}

// Never a link, always a directory, where the system says so (not on Windows).
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0);

/**
 * Checks `root` and holds it open: a file system frees a deleted directory's inode number
 * for the next one made (ext4 gives `rm -rf d && mkdir d` the same), unless something still
 * holds the old one. Where a directory cannot be opened (Windows), the number alone tells.
 */
export async function holdRoot(root: string): Promise<{ problem: string } | { held: HeldRoot }> {
  const checked = await checkRoot(root);
  if ('problem' in checked) return checked;
  let handle: FileHandle;
  try {
    handle = await open(root, OPEN_FLAGS);
  } catch {
    return { held: { identity: checked.identity, release: async () => {} } };
  }
  const release = () => handle.close();
  try {
    // What was opened is what was checked, not a directory put there in between.
    const { dev, ino } = await handle.stat({ bigint: true });
    const { identity } = checked;
    if (dev === identity.dev && ino === identity.ino) return { held: { identity, release } };
  } catch {
    // Could not tell: as if replaced, and the retry looks again.
  }
  await release().catch(() => {});
  return { problem: `directory replaced: ${root}` };
}
