import { StringDecoder } from 'node:string_decoder';

/** A line of an NDJSON input, its number (1-based), and how many bytes were read so far. */
export interface InputLine {
  text: string;
  line: number;
  bytesRead: number;
}

/**
 * The lines of a stream, split on `\n` (a `\r` before it is dropped), decoded as UTF-8 across
 * chunk boundaries; empty lines are skipped but counted, so that a message names the line an
 * editor shows. The last line needs no newline.
 */
export async function* ndjsonLines(
  input: AsyncIterable<Buffer | string>,
): AsyncGenerator<InputLine> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 0;
  let bytesRead = 0;
  const take = function* (text: string, final: boolean): Generator<InputLine> {
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      line++;
      const body =
        text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
      if (body !== '') yield { text: body, line, bytesRead };
      start = end + 1;
    }
    pending = text.slice(start);
    if (final && pending !== '') {
      line++;
      yield { text: pending, line, bytesRead };
    }
  };
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytesRead += buffer.length;
    yield* take(pending + decoder.write(buffer), false);
  }
  yield* take(pending + decoder.end(), true);
}
