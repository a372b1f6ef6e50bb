import { type Command, type Output, parseCommandArgs } from './args.js';

/**
 * The commands, each module loaded only when it runs: `verify` need not load what `serve` or
 * `audit` import (the eight together cost a CLI run ~13 ms before it did anything).
 */
const commands: readonly { name: string; summary: string; load: () => Promise<Command> }[] = [
  {
    name: 'serve',
    summary: 'serve the dashboard, the HTTP API and the WebSocket gateway',
    load: async () => (await import('./serve.js')).serve,
  },
  {
    name: 'events',
    summary: 'print the log as NDJSON, from a log file or a running server; --follow tails it',
    load: async () => (await import('./events.js')).events,
  },
  {
    name: 'sessions',
    summary: 'print the sessions table as it is, or as it was at a past position (--as-of)',
    load: async () => (await import('./sessions.js')).sessions,
  },
  {
    name: 'verify',
    summary: 'check the hash chain, the append-only triggers, every projection and its snapshots',
    load: async () => (await import('./verify.js')).verify,
  },
  {
    name: 'rebuild',
    summary: 'rebuild projections and their snapshots from the log',
    load: async () => (await import('./rebuild.js')).rebuild,
  },
  {
    name: 'import',
    summary: 'fill an empty log from an NDJSON export, checking the chain as it reads',
    load: async () => (await import('./import.js')).importCommand,
  },
  {
    name: 'checkpoint',
    summary: "print the log's current signed checkpoint (tree size and root), to keep outside it",
    load: async () => (await import('./checkpoint.js')).checkpoint,
  },
  {
    name: 'audit',
    summary:
      "check that a server's log extends the checkpoint saved last time, and save the new one",
    load: async () => (await import('./audit.js')).audit,
  },
];

/** The names' column: the longest name and two spaces (`checkpoint` once ran into its summary). */
const WIDTH = Math.max(...commands.map((c) => c.name.length)) + 2;

const usage = `usage: sessionlog <command> [flags]

${commands.map((c) => `  ${c.name.padEnd(WIDTH)}${c.summary}`).join('\n')}

Run \`sessionlog <command> --help\` for a command's flags.`;

const console_: Output = {
  log: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
};

/** Runs the CLI and returns the exit code: 0 ok, 1 a check failed, 2 a usage or runtime error. */
export async function main(argv: string[], out: Output = console_): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out.log(usage);
    return name === undefined ? 2 : 0;
  }
  const listed = commands.find((c) => c.name === name);
  if (listed === undefined) {
    out.error(`sessionlog: unknown command ${JSON.stringify(name)}\n\n${usage}`);
    return 2;
  }
  const command = await listed.load();
  let values: Record<string, unknown>;
  try {
    values = parseCommandArgs(command, rest);
  } catch (error) {
    out.error(`sessionlog ${name}: ${(error as Error).message}\n\n${command.usage}`);
    return 2;
  }
  if (values.help === true) {
    out.log(command.usage);
    return 0;
  }
  try {
    return await command.run(values, out);
  } catch (error) {
    out.error(`sessionlog ${name}: ${(error as Error).message}`);
    return 2;
  }
}
