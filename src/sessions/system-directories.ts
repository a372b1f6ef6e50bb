import path from 'node:path';

// SPEC's list; the /private ones are what /etc, /var/… resolve to on macOS.
const POSIX_SYSTEM = [
  '/etc',
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/root',
  '/bin',
  '/sbin',
  '/usr',
  '/run',
  '/var/log',
  '/var/lib',
  '/private/etc',
  '/private/var/log',
  '/private/var/lib',
  '/private/var/run',
  '/System',
];
// SPEC's `/lib*`: /lib, /lib32, /lib64, /libx32, /libexec…
const POSIX_LIB = /^\/lib[^/]*(\/|$)/;
const WINDOWS_SYSTEM = /^[a-z]:\\(windows|program files[^\\]*|programdata)(\\|$)/i;

/**
 * Why no session may work in `real` (a realpath), or undefined when one may: the filesystem
 * root, a system directory or what lies inside one, and a directory that holds one (SPEC,
 * "cwd rules"; `--root` aside). A directory holding one is refused too, or watching it would
 * watch the system directory below it.
 */
export function systemDirectoryRefusal(
  real: string,
  platform: NodeJS.Platform,
): string | undefined {
  const paths = platform === 'win32' ? path.win32 : path.posix;
  if (real === paths.parse(real).root) return 'a session cannot run in the filesystem root';
  if (isSystemPath(real, platform)) return `${real} is inside a system directory`;
  // /lib* and the Windows ones sit right below a root, which is refused already.
  const held =
    platform === 'win32' ? undefined : POSIX_SYSTEM.find((dir) => isInside(dir, real, platform));
  if (held !== undefined) return `${real} contains a system directory (${held})`;
  return undefined;
}

/** Whether a realpath lies in a system directory (SPEC's list, and the like). */
export function isSystemPath(real: string, platform: NodeJS.Platform): boolean {
  if (platform === 'win32') return WINDOWS_SYSTEM.test(real);
  if (POSIX_LIB.test(real)) return true;
  return POSIX_SYSTEM.some((dir) => isInside(real, dir, platform));
}

/**
 * Equal to `parent` or below it, by whole path segments: /home/ab is not inside /home/a.
 * Case-insensitive where the usual file systems are (Windows, macOS).
 */
export function isInside(child: string, parent: string, platform: NodeJS.Platform): boolean {
  const sep = platform === 'win32' ? '\\' : '/';
  const fold = platform === 'win32' || platform === 'darwin';
  const a = fold ? child.toLowerCase() : child;
  const b = fold ? parent.toLowerCase() : parent;
  return a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
}
