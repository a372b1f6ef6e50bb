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

/**
 * A `WatchFailed` event's text as one of a few reasons, for a metric's label (the texts name
 * paths: a label per text would be a series per directory).
 */
export function watchFailureReason(text: string): string {
  if (text.startsWith('rate cap')) return 'rate-cap';
  if (text.includes('not valid UTF-8')) return 'unreadable-name';
  if (text.startsWith('depth cap')) return 'depth-cap';
  if (text.startsWith('entry cap')) return 'entry-cap';
  if (text.includes('--max-watchers')) return 'max-watchers';
  if (text.startsWith('not watched')) return 'refused';
  if (text.includes('ENOSPC')) return 'system-limit';
  if (text.includes('EMFILE') || text.includes('ENFILE')) return 'open-files';
  if (text.startsWith('permission denied')) return 'permission';
  if (text.startsWith('directory not found') || text.startsWith('directory removed'))
    return 'not-found';
  if (/^(directory replaced|not a directory|the (directory|path) .*symbolic link)/.test(text))
    return 'replaced';
  return 'other';
}
