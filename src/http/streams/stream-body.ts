import type { StreamMessage } from './stream-source.js';

/** JSON mode (Durable Streams §9.1): a read answers its messages as one JSON array. */
export function isJsonMode(contentType: string): boolean {
  return mediaType(contentType) === 'application/json';
}

/** SSE carries JSON and text as they are and anything else in base64 (§5.8). */
export function isTextual(contentType: string): boolean {
  const type = mediaType(contentType);
  return type === 'application/json' || type.startsWith('text/');
}

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** A catch-up or long-poll body. */
export function readBody(contentType: string, messages: readonly StreamMessage[]): Buffer {
  if (isJsonMode(contentType)) {
    return Buffer.from(`[${messages.map((message) => text(message.body)).join(',')}]`);
  }
  return Buffer.concat(messages.map((message) => bytes(message.body)));
}

/**
 * An SSE `data` event. Every line of the payload gets its own `data:` field: a line break
 * in a message (CR, LF or CRLF) can never end the event or start a forged one.
 */
export function sseDataEvent(contentType: string, messages: readonly StreamMessage[]): string {
  const payload = isTextual(contentType)
    ? isJsonMode(contentType)
      ? `[${messages.map((message) => text(message.body)).join(',')}]`
      : messages.map((message) => text(message.body)).join('')
    : Buffer.concat(messages.map((message) => bytes(message.body))).toString('base64');
  const lines = payload.split(/\r\n|\r|\n/);
  return `event: data\n${lines.map(dataField).join('')}\n`;
}

/** §5.8: every control event has the next offset; an open stream's, a cursor. */
export interface Control {
  streamNextOffset: string;
  streamCursor?: string;
  upToDate?: true;
  /** The stream is closed and everything up to its end was sent: EOF. */
  streamClosed?: true;
}

export function sseControlEvent(control: Control): string {
  return `event: control\n${dataField(JSON.stringify(control))}\n`;
}

/**
 * `data:` then the line, as the reference server writes it; a reader drops one space after
 * the colon, so a line that starts with one gets another in front.
 */
function dataField(line: string): string {
  return line.startsWith(' ') ? `data: ${line}\n` : `data:${line}\n`;
}

function text(body: string | Uint8Array): string {
  return typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
}

function bytes(body: string | Uint8Array): Buffer {
  return typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
}
