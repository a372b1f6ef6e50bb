import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Where the log lives unless `--db` or SESSIONLOG_DB says otherwise (SPEC, "Running"). */
export const DEFAULT_DB = './data/sessionlog.db';

export interface Command {
  name: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, unknown>, out: Output): Promise<number>;
}

export interface Output {
  log(line: string): void;
  error(line: string): void;
  /** Where a command's data goes (the NDJSON of `events`); default: standard output. */
  data?: NodeJS.WritableStream;
  /** What a command reads (the NDJSON of `import`); default: standard input. */
  input?: AsyncIterable<Buffer | string>;
  /** Where progress goes, shown only when it is a terminal; default: standard error. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Stops a command that runs until interrupted (`events --follow`); default: SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

export const dbOption = {
  db: { type: 'string', short: 'd' },
} as const satisfies ParseArgsConfig['options'];

export function dbFrom(values: Record<string, unknown>): string {
  return (values.db as string | undefined) ?? process.env.SESSIONLOG_DB ?? DEFAULT_DB;
}

/** Parses a command's flags; unknown flags and stray arguments are errors, not ignored. */
export function parseCommandArgs(command: Command, argv: string[]) {
  return parseArgs({
    args: argv,
    options: { ...command.options, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  }).values as Record<string, unknown>;
}
