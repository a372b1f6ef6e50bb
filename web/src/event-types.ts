import type { SessionEventType } from '../../src/events/event-types.js';

/**
 * Every event type of SPEC v1, as the dashboard names it. A Record over the server's type
 * names: a new event type does not compile until it is named here.
 */
export const EVENT_TYPE_LABELS: Readonly<Record<SessionEventType, string>> = {
  SessionStarted: 'Started',
  SessionUpdated: 'Updated',
  SessionEnded: 'Ended',
  SessionDeleted: 'Deleted',
  FileChanged: 'File changed',
  WatchFailed: 'Watch failed',
};

export const EVENT_TYPES = Object.keys(EVENT_TYPE_LABELS) as SessionEventType[];
