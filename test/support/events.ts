import type { NewEvent } from '../../src/events/envelope.js';

/** Events to append straight to a store, for the store suites. */
export const started: NewEvent = {
  type: 'SessionStarted',
  data: { cwd: '/tmp', hostname: 'host', platform: 'linux' },
};

export const fileChanged = (path: string): NewEvent => ({
  type: 'FileChanged',
  data: { change: 'modified', path, kind: 'file' },
});
