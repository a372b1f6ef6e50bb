import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

/**
 * Runs the CLI in-process and collects what it prints: `output` is every line of log and
 * error, `data` what a command writes as data (the NDJSON of `events`).
 */
export async function runCli(
  ...argv: string[]
): Promise<{ code: number; output: string; data: string }> {
  const lines: string[] = [];
  const chunks: Buffer[] = [];
  const data = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  const code = await main(argv, {
    log: (l) => lines.push(l),
    error: (l) => lines.push(l),
    data,
  });
  return { code, output: lines.join('\n'), data: Buffer.concat(chunks).toString('utf8') };
}
