import { z } from 'zod';
import {
  SessionDeleted,
  SessionStarted,
  SessionUpdated,
  unicodeString,
} from '../events/schemas.js';

// The request bodies of SPEC's "HTTP API", strict (an unknown field is a 400, not silently
// dropped), built from the event schemas so that the limits on each field are the log's.

/**
 * `POST /api/sessions`. The cwd is only a well-formed string here (a lone surrogate would reach
 * the disk as U+FFFD, and name another directory): the cwd policy owns its other rules.
 */
export const StartBody = z.strictObject({
  cwd: unicodeString(),
  hostname: SessionStarted.shape.hostname.optional(),
  platform: SessionStarted.shape.platform.optional(),
  user: SessionStarted.shape.user,
  name: SessionStarted.shape.name,
});

/** `PATCH /api/sessions/:id`: `completed` or `failed` ends the session. */
export const PatchBody = z
  .strictObject({
    name: SessionUpdated.shape.name,
    summary: SessionUpdated.shape.summary,
    status: z.enum(['in_progress', 'completed', 'failed']).optional(),
  })
  .refine(
    (body) => body.name !== undefined || body.summary !== undefined || body.status !== undefined,
    'must name at least one of name, summary, status',
  );

/** `DELETE /api/sessions/:id`: an optional `{ reason }`. */
export const DeleteBody = SessionDeleted;
