import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/events/hash.js';
import { type SessionEvent, sessionEventTypes } from '../src/events/schemas.js';

// Every field of every type set, given in reverse order: what zod makes of it must come out in
// canonical order, so that an append's hash is written by JSON.stringify (schemas.ts).
const full: { [T in SessionEvent['type']]: Extract<SessionEvent, { type: T }>['data'] } = {
  SessionStarted: { user: 'u', platform: 'linux', name: 'n', hostname: 'h', cwd: '/tmp' },
  SessionUpdated: { summary: 's', status: 'in_progress', name: 'n' },
  SessionEnded: { summary: 's', status: 'failed', reason: 'r' },
  SessionDeleted: { reason: 'r' },
  FileChanged: { path: 'a.txt', kind: 'file', change: 'created' },
  WatchFailed: { error: 'e' },
};

describe('event schemas', () => {
  it('give their data in canonical key order, whatever order it came in', () => {
    expect(Object.keys(full).sort()).toEqual(Object.keys(sessionEventTypes).sort());
    for (const [type, { schema }] of Object.entries(sessionEventTypes)) {
      const given = full[type as SessionEvent['type']];
      if (Object.keys(given).length > 1) {
        expect(JSON.stringify(given), type).not.toBe(canonicalJson(given));
      }
      const parsed = schema.parse(given);
      expect(JSON.stringify(parsed), type).toBe(canonicalJson(parsed));
    }
  });
});
