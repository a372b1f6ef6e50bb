import type { Timers } from './ports.js';

export interface WatchdogOptions {
  timers: Timers;
  clock: () => number;
  /** No frame for longer than this is a dead connection (SPEC: heartbeats every 15 s; 2×). */
  silenceMs: number;
  /** How often to look. */
  intervalMs: number;
  /**
   * A look that comes this much later than due means the machine slept (or its clock was
   * set): the connection may be dead without either side having noticed yet.
   */
  jumpMs: number;
  onDead(reason: string): void;
}

export interface Watchdog {
  /** A frame arrived: the connection is alive. */
  heard(): void;
  stop(): void;
}

/**
 * Watches one connection for the deaths TCP does not report: a peer that went silent (a
 * dropped network, a proxy that lost the connection) and a laptop that slept. A browser tab
 * in the background may see its timers throttled to once a minute, which looks like a jump
 * too; but there the heartbeats keep arriving, so a jump counts only if nothing was heard
 * while the look was overdue.
 */
export function startWatchdog({
  timers,
  clock,
  silenceMs,
  intervalMs,
  jumpMs,
  onDead,
}: WatchdogOptions): Watchdog {
  let lastHeardAt = clock();
  let lastLookAt = lastHeardAt;
  let handle: unknown;

  const look = () => {
    const now = clock();
    const elapsed = now - lastLookAt;
    const jumped = elapsed > intervalMs + jumpMs || elapsed < 0;
    // Heard after this look was due: the line was alive while the timer lagged. (Frames from
    // before it was due say nothing about the gap: the sleep may have begun right after.)
    const heardDuringGap = lastHeardAt > lastLookAt + intervalMs;
    lastLookAt = now;
    if (jumped && !heardDuringGap) {
      onDead(`the clock jumped by ${Math.round(elapsed / 1000)} s (did the computer sleep?)`);
      return;
    }
    if (now - lastHeardAt > silenceMs) {
      onDead(`nothing heard for ${Math.round((now - lastHeardAt) / 1000)} s`);
      return;
    }
    handle = timers.setTimeout(look, intervalMs);
  };
  handle = timers.setTimeout(look, intervalMs);

  return {
    heard() {
      lastHeardAt = clock();
    },
    stop() {
      timers.clearTimeout(handle);
    },
  };
}
