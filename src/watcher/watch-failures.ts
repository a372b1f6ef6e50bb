// The system's limits: a later attempt may find room, so these stop and retry the watcher.
const RESOURCE_LIMITS = new Set(['ENOSPC', 'EMFILE', 'ENFILE']);

/** Whether an error means the whole watcher has to stop and try again later. */
export function isResourceLimit(error: unknown): boolean {
  return RESOURCE_LIMITS.has(codeOf(error));
}

/** An error in words for a `WatchFailed` event, naming the path concerned. */
export function describeError(error: unknown, path: string): string {
  switch (codeOf(error)) {
    case 'ENOENT':
      return `directory not found: ${path}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied: ${path}`;
    case 'ENOSPC':
      return `the system limit on watched files was reached (ENOSPC; on Linux, fs.inotify.max_user_watches) watching ${path}`;
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files (${codeOf(error)}) watching ${path}`;
    default:
      return `watching ${path} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The error's code (`ENOENT`…), or its text when it has none. */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : String(error);
}
