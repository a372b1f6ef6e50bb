import { StringDecoder } from 'node:string_decoder';

/** One line of an NDJSON file, without its newline, and its number (from 1). */
export interface NdjsonLine {
  text: string;
  line: number;
}

export class NdjsonReadError extends Error {
  override readonly name = 'NdjsonReadError';
  constructor(
    readonly line: number,
    why: string,
  ) {
    super(`line ${line}: ${why}`);
  }
}

/**
 * The lines of an NDJSON input (an export), as they stream: split on the newline byte, each
 * decoded as strict UTF-8, so a damaged byte is named by its line instead of turning into
 * U+FFFD and a puzzling hash mismatch. Holds one line at a time, whatever the file's size.
 * A last line without a newline is a line.
 */
export async function* readNdjsonLines(
  input: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<NdjsonLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const decode = (bytes: Uint8Array, line: number) => {
    try {
      return decoder.decode(bytes);
    } catch {
      throw new NdjsonReadError(line, 'not UTF-8');
    }
  };
  let rest: Buffer = Buffer.alloc(0);
  let line = 0;
  for await (const chunk of input) {
    const bytes =
      rest.length === 0 ? Buffer.from(chunk) : Buffer.concat([rest, Buffer.from(chunk)]);
    let start = 0;
    for (let end = bytes.indexOf(10); end >= 0; end = bytes.indexOf(10, start)) {
      line += 1;
      yield { text: decode(bytes.subarray(start, end), line), line };
      start = end + 1;
    }
    rest = bytes.subarray(start);
  }
  if (rest.length > 0) {
    line += 1;
    yield { text: decode(rest, line), line };
  }
}

/** A line of an NDJSON input, its number (1-based), and about how many bytes end with it. */
export interface InputLine {
  text: string;
  line: number;
  /**
   * The input's bytes up to this line's end, for a progress line: exact at a chunk's end, in
   * between counted as if the text were one byte a character.
   */
  bytesRead: number;
}

/**
 * The lines of a stream, split on `\n` (a `\r` before it is dropped), decoded as UTF-8 across
 * chunk boundaries; empty lines are skipped but counted, so that a message names the line an
 * editor shows. The last line needs no newline. The lines come a chunk's worth at a time: an
 * await per line cost import's checking thread 0.4 s of CPU on a million lines.
 */
export async function* ndjsonLines(
  input: AsyncIterable<Buffer | string>,
): AsyncGenerator<InputLine[]> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 0;
  let bytesRead = 0;
  // `text` spans the input's bytes from `before` to `bytesRead`.
  const take = (text: string, before: number, final: boolean): InputLine[] => {
    const lines: InputLine[] = [];
    const through = (end: number) =>
      Math.min(bytesRead, before + Math.round(((end + 1) / text.length) * (bytesRead - before)));
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      line++;
      const body =
        text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
      if (body !== '') lines.push({ text: body, line, bytesRead: through(end) });
      start = end + 1;
    }
    pending = text.slice(start);
    if (final && pending !== '') {
      line++;
      lines.push({ text: pending, line, bytesRead });
    }
    return lines;
  };
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    // What is pending of the chunks before counted a byte a character.
    const before = bytesRead - pending.length;
    bytesRead += buffer.length;
    yield take(pending + decoder.write(buffer), before, false);
  }
  yield take(pending + decoder.end(), bytesRead - pending.length, true);
}
