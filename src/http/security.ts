import { timingSafeEqual } from 'node:crypto';
import { hostName, LOOPBACK_NAMES } from '../net/loopback.js';

/** What decides who may talk to the server (SPEC, "Security defaults"). */
export interface SecurityPolicy {
  /** When set, /api and /ws need it: `Authorization: Bearer <token>`, or `?token=` on /ws. */
  token?: string | undefined;
  /** Origins (`scheme://host[:port]`) allowed besides the server's own. */
  allowedOrigins: readonly string[];
  /** The host the server is bound to (`--host`). */
  boundHost: string;
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

/** The token of an `Authorization: Bearer …` header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}
