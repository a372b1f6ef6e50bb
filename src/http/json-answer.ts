import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { leftAlone } from './compression.js';

/**
 * A JSON answer whose headers are a plain record, which @hono/node-server writes out as it is.
 * Hono makes a Headers object of any answer with two headers or more, and making, reading and
 * iterating one cost a durable POST several µs of CPU (issue 18). So what the middleware would
 * add to a small answer is written in here: X-Request-Id (request-id.ts prepares it on Hono's
 * headers, which an answer made here does not take) and what compression.ts gives an answer
 * it never compresses. A larger answer goes through Hono and the middleware as any other.
 */
export function jsonAnswer(
  c: Context,
  value: unknown,
  status: ContentfulStatusCode,
  headers: Record<string, string>,
): Response {
  const text = JSON.stringify(value);
  const left = leftAlone(c, Buffer.byteLength(text));
  if (left === undefined) {
    return c.body(text, status, { 'Content-Type': 'application/json', ...headers });
  }
  return new Response(text, {
    status,
    headers: {
      'Content-Type': 'application/json',
      'X-Request-Id': c.get('requestId'),
      ...headers,
      ...left,
    },
  });
}
