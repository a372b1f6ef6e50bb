import { isUtf8 } from 'node:buffer';
import { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
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
  let bytes: Uint8Array;
  try {
    bytes = await readBody(c);
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

/**
 * The body's bytes, counted as they arrive. Served by Node, straight from its request: the
 * adapter's own readers make an ArrayBuffer of the body (a copy, a backing store) or decode it
 * leniently, and a durable POST paid ~5 µs of CPU for it (issue 18). Elsewhere (app.request),
 * with a Content-Length, on the adapter's fast path; a chunked body from the web stream.
 */
function readBody(c: Context): Promise<Uint8Array> {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (incoming instanceof IncomingMessage) return readIncoming(incoming, MAX_BODY_BYTES);
  return c.req.header('content-length') !== undefined &&
    c.req.header('transfer-encoding') === undefined
    ? c.req.arrayBuffer().then((buffer) => new Uint8Array(buffer))
    : readAtMost(c.req.raw.body, MAX_BODY_BYTES);
}

/**
 * Node's request read to its end, or a 413 as soon as it passes `max` bytes (then no more is
 * kept: the adapter drains or closes what the client still sends once the answer is out).
 */
function readIncoming(incoming: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (settle: () => void) => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
      settle();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) done(() => reject(tooLarge()));
      else chunks.push(chunk);
    };
    const onEnd = () =>
      done(() => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    const onError = (error: Error) => done(() => reject(error));
    const onClose = () =>
      done(() => reject(new Error('the client closed the connection before the body ended')));
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
    // Gone before it was read: its 'close' is past, and would never come.
    if (incoming.destroyed) onClose();
  });
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
  if (contentType === 'application/json') return true;
  const [type = '', ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => !p.startsWith('charset=') || /^charset="?utf-8"?$/.test(p));
}

function parseJson(bytes: Uint8Array): unknown {
  // isUtf8 and a Buffer's decoder: a third of a fatal TextDecoder's cost on a small body.
  if (!isUtf8(bytes)) throw new ValidationError('the body is not valid UTF-8');
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
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
