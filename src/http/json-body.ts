import type { Context } from 'hono';
import type { z } from 'zod';
import { type FieldIssue, ValidationError } from '../events/errors.js';
import { fieldIssues } from '../events/validate-append.js';
import { ProblemException, problem } from './problem.js';

/** SPEC, "Limits": at most 64 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface JsonBodyOptions {
  /** What an empty body stands for (DELETE's optional body); without it, one is required. */
  empty?: unknown;
}

/**
 * The request's JSON body, parsed by `schema`. 413 past 64 KiB, counted as the bytes arrive
 * (a chunked body has no Content-Length, and a Content-Length can lie); 415 unless it is
 * `application/json`; 400 for a missing body, bad UTF-8, bad JSON, or what `schema` refuses.
 */
export async function jsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  options: JsonBodyOptions = {},
): Promise<z.output<S>> {
  const length = c.req.header('content-length');
  const declared = Number(length ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  // With a Content-Length, Node's parser never hands over more bytes than it declares, so the
  // body can be read whole, on the adapter's fast path (touching `raw.body` builds a full web
  // Request and stream per request: several times slower). A chunked body is counted as it
  // arrives.
  let bytes: Uint8Array;
  try {
    bytes =
      length !== undefined && c.req.header('transfer-encoding') === undefined
        ? new Uint8Array(await c.req.arrayBuffer())
        : await readAtMost(c.req.raw.body, MAX_BODY_BYTES);
  } catch (error) {
    if (error instanceof ProblemException) throw error;
    // The client broke its framing mid-body (a bad chunk) or went away: its fault, not ours.
    throw new ProblemException(
      problem(400, 'unreadable-body', `the body could not be read: ${(error as Error).message}`),
    );
  }
  // Outside Node's parser (app.request), a Content-Length is only a claim.
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge();
  let value: unknown;
  if (bytes.length === 0) {
    if (!('empty' in options)) throw new ValidationError('a JSON body is required');
    value = options.empty;
  } else {
    if (!isJson(c.req.header('content-type'))) {
      throw new ProblemException(
        problem(415, 'unsupported-media-type', 'the body must be application/json (UTF-8)'),
      );
    }
    value = parseJson(bytes);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError('invalid body', bodyIssues(result.error));
  return result.data;
}

/** Reads the whole stream, or throws 413 as soon as it passes `max` bytes. */
async function readAtMost(
  body: ReadableStream<Uint8Array> | null,
  max: number,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      // Stop reading: whatever the client still sends is not buffered.
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** `application/json`, with at most a UTF-8 charset: JSON is UTF-8 (RFC 8259). */
function isJson(contentType: string | undefined): boolean {
  const [type = '', ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => !p.startsWith('charset=') || /^charset="?utf-8"?$/.test(p));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ValidationError('the body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** zod's issues by field; an unknown field is named by its own path, not the object's. */
function bodyIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') return fieldIssues({ issues: [issue] } as z.ZodError);
    return issue.keys.map((key) => ({
      path: [...issue.path.map(String), key].join('.'),
      message: 'is not a known field',
    }));
  });
}

function tooLarge(): ProblemException {
  return new ProblemException(
    problem(413, 'content-too-large', `the body must be at most ${MAX_BODY_BYTES} bytes`),
  );
}
