import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/**
 * The CLI the auditor figures time: this checkout's build (`bin/sessionlog.js` runs `dist/`:
 * `npm run build` first; tsx would add seconds of start-up to every run), or
 * `BENCH_AUDITOR_CLI`, the bin of another build (an earlier commit's, for a before figure).
 */
export function auditorCli(): { label: string; argv: string[] } {
  const other = process.env.BENCH_AUDITOR_CLI;
  if (other) return { label: other, argv: [other] };
  return { label: 'bin/sessionlog.js (this checkout’s dist/)', argv: ['bin/sessionlog.js'] };
}

/**
 * Runs `sessionlog …` as a child process (stdout to `stdout`, a file, when given; else
 * discarded; stderr to the bench's) and returns its wall time in seconds; throws if it fails.
 */
export async function timeCli(args: readonly string[], stdout?: string): Promise<number> {
  const { argv } = auditorCli();
  const out = stdout === undefined ? 'ignore' : openSync(stdout, 'w');
  const started = performance.now();
  const child = spawn(process.execPath, [...argv, ...args], {
    cwd: REPO,
    stdio: ['ignore', out, 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`sessionlog ${args.join(' ')} exited ${code}: ${stderr.trim()}`);
  return seconds;
}

/** The floors of auditor-floor.ts. */
export type AuditorFloor = 'chain' | 'lines' | 'writes' | 'tree';

/**
 * Runs auditor-floor.ts on `input` in a child process and returns the seconds it took (its
 * own start-up excluded); throws if it fails or did not see `events` events.
 */
export async function timeFloor(
  floor: AuditorFloor,
  input: string,
  events: number,
): Promise<number> {
  const script = fileURLToPath(new URL('./auditor-floor.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, floor, input], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the ${floor} floor exited ${code}: ${stderr.trim()}`);
  const result = JSON.parse(stdout) as { events: number; seconds: number };
  if (result.events !== events) {
    throw new Error(`the ${floor} floor saw ${result.events} events, not ${events}`);
  }
  return result.seconds;
}
