import { type Command, type Output, parseCommandArgs } from './args.js';
import { audit } from './audit.js';
import { checkpoint } from './checkpoint.js';
import { events } from './events.js';
import { importCommand } from './import.js';
import { rebuild } from './rebuild.js';
import { serve } from './serve.js';
import { sessions } from './sessions.js';
import { verify } from './verify.js';

const commands: readonly Command[] = [
  serve,
  events,
  sessions,
  verify,
  rebuild,
  importCommand,
  checkpoint,
  audit,
];

const usage = `usage: sessionlog <command> [flags]

${commands.map((c) => `  ${c.name.padEnd(10)}${c.summary}`).join('\n')}

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
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    out.error(`sessionlog: unknown command ${JSON.stringify(name)}\n\n${usage}`);
    return 2;
  }
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
