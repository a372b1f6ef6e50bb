import { main } from '../../src/cli/main.js';

/** Runs the CLI in-process and collects what it prints. */
export async function runCli(...argv: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await main(argv, { log: (l) => lines.push(l), error: (l) => lines.push(l) });
  return { code, output: lines.join('\n') };
}
