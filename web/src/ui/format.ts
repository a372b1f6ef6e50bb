import type { Envelope } from '../../../src/events/envelope.js';
import type { Session, SessionStatus } from '../../../src/sessions/session.js';

export const STATUS_LABELS: Readonly<Record<SessionStatus, string>> = {
  pending: 'pending',
  in_progress: 'in progress',
  completed: 'completed',
  failed: 'failed',
};

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago", then the date. */
export function relativeTime(iso: string, now: number): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  if (days < 7) return `${days} d ago`;
  return new Date(then).toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/** The full local date and time, for tooltips and detail fields. */
export function absoluteTime(iso: string): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  return new Date(then).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** The last segment of a path: what a session without a name is called. */
export function basename(path: string): string {
  const parts = path.split(/[\\/]/).filter((part) => part !== '');
  return parts.at(-1) ?? path;
}

export function sessionTitle(session: Session): string {
  return session.name ?? basename(session.cwd);
}

/** One line saying what an event did, for the timeline. */
export function describeEvent(event: Envelope): string {
  switch (event.type) {
    case 'SessionStarted':
      return `Started in ${event.data.cwd} on ${event.data.hostname}`;
    case 'SessionUpdated': {
      const parts: string[] = [];
      if (event.data.name !== undefined) parts.push(`renamed to “${event.data.name}”`);
      if (event.data.status !== undefined) parts.push('now in progress');
      if (event.data.summary !== undefined) parts.push(`summary: ${event.data.summary}`);
      return capitalise(parts.join('; '));
    }
    case 'SessionEnded': {
      const { status, reason, summary } = event.data;
      const details = [reason, summary].filter((text) => text !== undefined && text !== '');
      return `Ended: ${status}${details.length > 0 ? ` (${details.join('; ')})` : ''}`;
    }
    case 'SessionDeleted':
      return `Deleted${event.data.reason ? `: ${event.data.reason}` : ''}`;
    case 'FileChanged':
      return `${capitalise(event.data.change)} ${event.data.kind === 'dir' ? 'directory ' : ''}${event.data.path}`;
    case 'WatchFailed':
      return `Watching stopped: ${event.data.error}`;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
