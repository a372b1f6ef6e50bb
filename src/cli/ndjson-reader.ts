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
