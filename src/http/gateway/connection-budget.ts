import { readFileSync } from 'node:fs';

/** How many sockets and subscriptions a process may hold with the descriptors it has. */
export interface ConnectionBudget {
  /** The soft limit on open files the budget was made from. */
  openFiles: number;
  /** Sockets of every kind (HTTP, WebSocket, event stream) the server accepts at once. */
  sockets: number;
  /** Subscriptions (WebSockets and event streams) open at once. */
  subscriptions: number;
  /** Subscriptions open at once from one client (all of loopback is one client). */
  perClient: number;
}

// Descriptors kept out of the sockets' reach: stdio, the event loop's own (epoll, eventfd,
// signal pipe, one inotify instance: chokidar's watches on Linux are inotify watches, not
// descriptors), SQLite's database, WAL, shm and lock files, PostgreSQL's pool (10) and its
// LISTEN connection, dashboard files being sent.
const RESERVED = 64;
// Each subscription holds buffers and a cursor: past this many, memory, not descriptors, is
// what runs out.
const MAX_SUBSCRIPTIONS = 20_000;
// Where /proc/self/limits cannot be read (not Linux): a common default, erring low.
const FALLBACK_OPEN_FILES = 1024;

/**
 * The budget for a process allowed `openFiles` descriptors. Subscriptions get three quarters
 * of the sockets: the last quarter keeps the HTTP API answering when they are all taken, and
 * holds the WebSockets being refused with 4429 until their close handshake ends. One client
 * may hold half the subscriptions, so that it cannot shut the others out.
 */
export function connectionBudget(openFiles = openFilesLimit()): ConnectionBudget {
  const sockets = Math.max(16, openFiles - RESERVED);
  const subscriptions = Math.min(MAX_SUBSCRIPTIONS, Math.floor((sockets * 3) / 4));
  return { openFiles, sockets, subscriptions, perClient: Math.ceil(subscriptions / 2) };
}

/**
 * The process's soft limit on open files ("Max open files" in /proc/self/limits; Node has no
 * getrlimit). Node raises the soft limit to the hard one at start, so this is what it got.
 */
export function openFilesLimit(limits = readLimits()): number {
  const soft = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits ?? '')?.[1];
  if (soft === undefined) return FALLBACK_OPEN_FILES;
  return soft === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(soft);
}

function readLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The places for live readers, held against the limits in all and per client: WebSockets,
 * event streams and Durable Streams live reads all take theirs here, so that no transport
 * can hold the descriptors the others (and the HTTP API) need.
 */
export interface ConnectionSlots {
  /** Why one more from `client` would be refused, or undefined. */
  refusal(client: string): string | undefined;
  /** Takes a place for `client`; give it back with `give` once, when the reader is gone. */
  take(client: string): void;
  give(client: string): void;
  /** Places taken now. */
  readonly taken: number;
}

export function connectionSlots(max: number, perClientMax: number): ConnectionSlots {
  const perClient = new Map<string, number>();
  let taken = 0;
  return {
    refusal(client) {
      if (taken >= max) return 'too many connections: retry later';
      if ((perClient.get(client) ?? 0) >= perClientMax)
        return 'too many connections from this client: retry later';
      return undefined;
    },
    take(client) {
      taken++;
      perClient.set(client, (perClient.get(client) ?? 0) + 1);
    },
    give(client) {
      const held = perClient.get(client);
      if (held === undefined) return;
      taken--;
      if (held > 1) perClient.set(client, held - 1);
      else perClient.delete(client);
    },
    get taken() {
      return taken;
    },
  };
}
