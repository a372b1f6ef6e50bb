import type { z } from 'zod';
import type { AnyEvent, NewEvent } from './envelope.js';
import { type FieldIssue, ValidationError } from './errors.js';
import type { EventRegistry } from './schemas.js';
import type { AppendOptions } from './store.js';
import { illFormedPath, NOT_WELL_FORMED } from './well-formed.js';

const MAX_STREAM_LENGTH = 200;
const MAX_KEY_LENGTH = 200;
const MAX_EVENTS_PER_APPEND = 1000;

/**
 * Checks an append before it is queued and returns the events with their data as the schemas
 * parsed it. Throws a ValidationError naming every field that is wrong.
 */
export function validateAppend(
  stream: unknown,
  events: unknown,
  options: AppendOptions,
  registry: EventRegistry,
): NewEvent<AnyEvent>[] {
  const issues: FieldIssue[] = [];
  if (
    typeof stream !== 'string' ||
    stream.length === 0 ||
    stream.length > MAX_STREAM_LENGTH ||
    stream.includes('\0') ||
    !stream.isWellFormed()
  ) {
    issues.push({
      path: 'stream',
      message: `must be a non-empty, well-formed string of at most ${MAX_STREAM_LENGTH} characters`,
    });
  }
  const { expectedVersion, idempotencyKey, fingerprint } = options;
  if (
    expectedVersion !== undefined &&
    !['any', 'no-stream', 'exists'].includes(expectedVersion as string) &&
    !(Number.isSafeInteger(expectedVersion) && (expectedVersion as number) >= 0)
  ) {
    issues.push({
      path: 'expectedVersion',
      message: "must be 'any', 'no-stream', 'exists' or a version ≥ 0",
    });
  }
  if (idempotencyKey !== undefined && !isShortString(idempotencyKey, MAX_KEY_LENGTH)) {
    issues.push({
      path: 'idempotencyKey',
      message: `must be 1 to ${MAX_KEY_LENGTH} well-formed characters`,
    });
  }
  if (fingerprint !== undefined && !isShortString(fingerprint, MAX_KEY_LENGTH)) {
    issues.push({
      path: 'fingerprint',
      message: `must be 1 to ${MAX_KEY_LENGTH} well-formed characters`,
    });
  }
  if (!Array.isArray(events) || events.length === 0 || events.length > MAX_EVENTS_PER_APPEND) {
    issues.push({
      path: 'events',
      message: `must be a list of 1 to ${MAX_EVENTS_PER_APPEND} events`,
    });
    throw new ValidationError('invalid append', issues);
  }
  const parsed = events.map((event: unknown, i): NewEvent<AnyEvent> | undefined => {
    const at = `events.${i}`;
    if (typeof event !== 'object' || event === null) {
      issues.push({ path: at, message: 'must be an object with type and data' });
      return undefined;
    }
    const { type, data, meta } = event as Record<string, unknown>;
    const definition =
      typeof type === 'string' && Object.hasOwn(registry, type) ? registry[type] : undefined;
    if (definition === undefined) {
      issues.push({ path: `${at}.type`, message: `unknown event type ${JSON.stringify(type)}` });
      return undefined;
    }
    if (meta !== undefined && (typeof meta !== 'object' || meta === null || Array.isArray(meta))) {
      issues.push({ path: `${at}.meta`, message: 'must be an object' });
    }
    const result = definition.schema.safeParse(data);
    if (!result.success) {
      issues.push(...fieldIssues(result.error, `${at}.data`));
      return undefined;
    }
    // A lone surrogate is hashed as the escape JSON writes, but a database's text stores
    // U+FFFD: the log and its tables would disagree for good. The event schemas refuse it
    // field by field; this holds for any registry, and for meta, which no schema describes.
    for (const [part, value] of [
      ['data', result.data],
      ['meta', meta],
    ] as const) {
      const path = illFormedPath(value);
      if (path !== undefined) {
        issues.push({ path: [at, part, ...path].join('.'), message: NOT_WELL_FORMED });
      }
    }
    return {
      type: type as string,
      data: result.data,
      ...(meta === undefined ? {} : { meta: meta as object }),
    };
  });
  if (issues.length > 0) throw new ValidationError('invalid append', issues);
  return parsed as NewEvent<AnyEvent>[];
}

/** zod's issues as field paths ("data.cwd") with their messages. */
export function fieldIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.'),
    message: issue.message,
  }));
}

function isShortString(value: unknown, max: number): boolean {
  return (
    typeof value === 'string' && value.length > 0 && value.length <= max && value.isWellFormed()
  );
}
