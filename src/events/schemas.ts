import { z } from 'zod';
import {
  type EventTypeVersion,
  type SessionEventType,
  sessionEventVersions,
} from './event-types.js';
import { NOT_WELL_FORMED } from './well-formed.js';

/**
 * The event types of SPEC v1, one zod schema each. The TypeScript types are inferred from the
 * schemas, so the two cannot disagree. Objects are strict: a field the schema does not name
 * never reaches the log.
 */

/**
 * A string the log can hold: well-formed Unicode, which every string of every event is (a lone
 * surrogate is stored as U+FFFD by the databases, so the log and its tables would disagree).
 */
export const unicodeString = () => z.string().refine((s) => s.isWellFormed(), NOT_WELL_FORMED);

const text = (max: number) =>
  unicodeString()
    .max(max)
    .refine((s) => !s.includes('\0'), 'must not contain NUL bytes');

const absolutePath = text(4096)
  .min(1)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path');

const relativePath = text(4096)
  .min(1)
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p), 'must be relative to the cwd')
  .refine((p) => !p.split(/[\\/]/).includes('..'), 'must not leave the cwd');

// Each schema lists its fields in code unit order: what zod parses comes out in the order of
// its shape, which is then canonical JSON's, and the hash of an append is written by
// JSON.stringify rather than by sorting (hash.ts; test/schemas.test.ts holds the order).
export const SessionStarted = z.strictObject({
  cwd: absolutePath,
  hostname: text(255).min(1),
  name: text(200).optional(),
  platform: text(64).min(1),
  user: text(255).optional(),
});

export const SessionUpdated = z
  .strictObject({
    name: text(200).optional(),
    status: z.literal('in_progress').optional(),
    summary: text(10_000).optional(),
  })
  .refine(
    (d) => d.name !== undefined || d.summary !== undefined || d.status !== undefined,
    'names at least one of name, summary, status',
  );

export const SessionEnded = z.strictObject({
  reason: text(2000).optional(),
  status: z.enum(['completed', 'failed']),
  summary: text(10_000).optional(),
});

export const SessionDeleted = z.strictObject({
  reason: text(2000).optional(),
});

export const FileChanged = z.strictObject({
  change: z.enum(['created', 'modified', 'deleted']),
  kind: z.enum(['file', 'dir']),
  path: relativePath,
});

export const WatchFailed = z.strictObject({
  error: text(2000).min(1),
});

/**
 * What the log knows of an event type: its version and upcasters (event-types.ts), and the
 * schema its data is validated with at that version.
 */
export interface EventTypeDefinition extends EventTypeVersion {
  readonly schema: z.ZodType;
}

export type EventRegistry = Readonly<Record<string, EventTypeDefinition>>;

const versions = sessionEventVersions;
export const sessionEventTypes = {
  SessionStarted: { ...versions.SessionStarted, schema: SessionStarted },
  SessionUpdated: { ...versions.SessionUpdated, schema: SessionUpdated },
  SessionEnded: { ...versions.SessionEnded, schema: SessionEnded },
  SessionDeleted: { ...versions.SessionDeleted, schema: SessionDeleted },
  FileChanged: { ...versions.FileChanged, schema: FileChanged },
  WatchFailed: { ...versions.WatchFailed, schema: WatchFailed },
} as const satisfies Record<SessionEventType, EventTypeDefinition>;

type SessionEventTypes = typeof sessionEventTypes;

/** A session event as a command decides it: its type and its data, before the log stamps it. */
export type SessionEvent = {
  [T in SessionEventType]: { type: T; data: z.infer<SessionEventTypes[T]['schema']> };
}[SessionEventType];
