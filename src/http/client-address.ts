import { isIPv4 } from 'node:net';

/** What every loopback address counts as. */
export const LOOPBACK_CLIENT = 'loopback';

/**
 * The client a remote address counts as for a per-client limit. Every loopback address is one
 * client: any local process may send from 127.0.0.2, 127.0.0.3, … (or ::1, or IPv4-mapped
 * ::ffff:127.x.y.z), and would otherwise get a fresh budget from each. No address (a request
 * made in the process, without a socket) is local too. An IPv4-mapped address counts as the
 * IPv4 address it maps, so that a dual-stack socket does not make a client two.
 */
export function clientOf(address: string | undefined): string {
  if (address === undefined || address === '') return LOOPBACK_CLIENT;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped !== undefined && isIPv4(mapped) ? mapped : address.toLowerCase();
  if (ip === '::1' || (isIPv4(ip) && ip.startsWith('127.'))) return LOOPBACK_CLIENT;
  return ip;
}
