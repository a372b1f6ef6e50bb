/** Names of this machine's loopback interface, as a Host header or `--host` gives them. */
export const LOOPBACK_NAMES: ReadonlySet<string> = new Set([
  'localhost',
  '127.0.0.1',
  '::1',
  '[::1]',
]);

/** The host name of a Host header (`example.com:3001` → `example.com`, `[::1]:80` → `[::1]`). */
export function hostName(host: string): string {
  const bracketed = /^(\[[^\]]*\])(:\d+)?$/.exec(host);
  if (bracketed?.[1] !== undefined) return bracketed[1].toLowerCase();
  return host.replace(/:\d+$/, '').toLowerCase();
}

/** Whether a server bound to `host` is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(hostName(host)) || /^127\.\d+\.\d+\.\d+$/.test(host);
}
