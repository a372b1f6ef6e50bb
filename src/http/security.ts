import { timingSafeEqual } from 'node:crypto';

/** What decides who may talk to the server (SPEC, "Security defaults"). */
export interface SecurityPolicy {
  /** When set, /api and /ws need it: `Authorization: Bearer <token>`, or `?token=` on /ws. */
  token?: string | undefined;
  /** Origins (`scheme://host[:port]`) allowed besides the server's own. */
  allowedOrigins: readonly string[];
  /** The host the server is bound to (`--host`). */
  boundHost: string;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** The host name of a Host header (`example.com:3001` → `example.com`, `[::1]:80` → `[::1]`). */
function hostName(host: string): string {
  const bracketed = /^(\[[^\]]*\])(:\d+)?$/.exec(host);
  if (bracketed?.[1] !== undefined) return bracketed[1].toLowerCase();
  return host.replace(/:\d+$/, '').toLowerCase();
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 still sends
 * `Host: evil.example`. Only loopback names, the bound host and allowed origins' hosts pass.
 */
export function hostAllowed(host: string | undefined, policy: SecurityPolicy): boolean {
  if (host === undefined || host === '') return false;
  const name = hostName(host);
  if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) return true;
  if (name === hostName(policy.boundHost) || `[${hostName(policy.boundHost)}]` === name)
    return true;
  return policy.allowedOrigins.some((origin) => {
    const allowed = originHost(origin);
    return allowed !== undefined && hostName(allowed) === name;
  });
}

/**
 * Cross-site request forgery and WebSocket hijacking: a browser names the page's origin on
 * every cross-site write and upgrade. No Origin (curl, a server) is fine; the server's own
 * origin (the one the request's Host names) and the allowed origins are fine; others are not.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  policy: SecurityPolicy,
): boolean {
  if (origin === undefined) return true;
  const from = originHost(origin);
  if (from === undefined) return false;
  if (host !== undefined && from === host.toLowerCase()) return true;
  return policy.allowedOrigins.some((allowed) => originHost(allowed) === from);
}

/** Compares in constant time, so the token cannot be guessed byte by byte from timings. */
export function tokenMatches(presented: string | undefined, policy: SecurityPolicy): boolean {
  if (policy.token === undefined) return true;
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(policy.token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Why a token could never be presented, or undefined when it can: it must travel in an
 * `Authorization: Bearer` header (whose parser ends it at the first space) and in a query
 * string, so printable ASCII without spaces (SPEC, "Running"). A server started with any
 * other token would answer every request 401. The token itself is not repeated: a message
 * is no place for a secret.
 */
export function tokenProblem(token: string): string | undefined {
  const why = (reason: string) =>
    `the token (--token, SESSIONLOG_TOKEN) must be printable ASCII without spaces, to be sent as "Authorization: Bearer <token>" and as ?token=: ${reason}`;
  if (token === '') return why('it is empty');
  const bad = /[^\x21-\x7e]/.exec(token);
  if (bad === null) return undefined;
  const char = bad[0].codePointAt(0) ?? 0;
  const name = char === 0x20 ? 'a space' : `U+${char.toString(16).toUpperCase().padStart(4, '0')}`;
  return why(`character ${bad.index + 1} is ${name}`);
}

/** The token of an `Authorization: Bearer …` header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(hostName(host)) || /^127\.\d+\.\d+\.\d+$/.test(host);
}
