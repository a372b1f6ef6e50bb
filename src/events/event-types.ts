/**
 * The event types of SPEC v1 as a reader of the log knows them: each one's name, the version
 * of its data's shape, and how data stored at an older version is brought up to it. The
 * schemas that validate an append are beside them in schemas.ts, which builds its registry
 * from this one; what only reads the log (verify's threads, an export, a fold) loads no
 * validator: zod took a third of a short command's start.
 */

/**
 * What reading needs of an event type: when its schema changes, its version goes up and
 * `upcast[n]` turns data stored at version n into data of version n + 1, so old events are
 * read in the current shape.
 */
export interface EventTypeVersion {
  readonly schemaVersion: number;
  readonly upcast?: Readonly<Record<number, (data: unknown) => unknown>>;
}

export type EventVersions = Readonly<Record<string, EventTypeVersion>>;

export const sessionEventVersions = {
  SessionStarted: { schemaVersion: 1 },
  SessionUpdated: { schemaVersion: 1 },
  SessionEnded: { schemaVersion: 1 },
  SessionDeleted: { schemaVersion: 1 },
  FileChanged: { schemaVersion: 1 },
  WatchFailed: { schemaVersion: 1 },
} as const satisfies EventVersions;

export type SessionEventType = keyof typeof sessionEventVersions;

/** Every session event type, in the registry's order: the one list the rest of the code uses. */
export const SESSION_EVENT_TYPES: readonly string[] = Object.keys(sessionEventVersions);
