import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';
import { prettyLine } from './pretty-line.js';

export type { Logger } from 'pino';

export const LOG_LEVELS: readonly LevelWithSilent[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Default: JSON when the destination is not a terminal, pretty when it is. */
  format?: LogFormat;
  /** Default: stderr (stdout carries the command's own output, such as serve's URL line). */
  destination?: DestinationStream & { isTTY?: boolean };
  /**
   * Strings no log line may hold (the token): replaced wherever they appear, as the last
   * step before the line is written. The request log never names them in the first place.
   */
  secrets?: readonly string[];
}

/**
 * The server's logger: one JSON object per line (pino), or a short human-readable line
 * when a person reads it (`--log-format pretty`).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination: DestinationStream = options.destination ?? stderrDestination();
  const isTTY = (options.destination ?? process.stderr).isTTY;
  const format = options.format ?? (isTTY === true ? 'pretty' : 'json');
  const secrets = [
    ...new Set((options.secrets ?? []).flatMap((secret) => [secret, encodeURIComponent(secret)])),
  ].filter((secret) => secret.length > 0);
  const scrub =
    secrets.length === 0
      ? undefined
      : (line: string) => {
          for (const secret of secrets) line = line.replaceAll(secret, '[redacted]');
          return line;
        };
  const stream: DestinationStream =
    format === 'pretty' ? { write: (line) => destination.write(prettyLine(line)) } : destination;
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      ...(scrub === undefined ? {} : { hooks: { streamWrite: scrub } }),
    },
    stream,
  );
}

/** What is written at least this often: a quiet server's lines wait no longer. */
const FLUSH_MS = 1000;
let stderr: DestinationStream | undefined;

/** Descriptor 2 as `logDestination` writes it, one per process (every server's logger shares it). */
function stderrDestination(): DestinationStream {
  stderr ??= logDestination(2);
  return stderr;
}

/**
 * A descriptor or file through pino's own writer, as a server's log is written: asynchronous,
 * lines gathered until 4 KiB before a write (a write per request line was a quarter of what
 * logging costs a request), written at least every second, and whatever is pending when the
 * process exits (pino flushes its destinations then).
 */
export function logDestination(dest: number | string): ReturnType<typeof pino.destination> {
  const destination = pino.destination({ dest, sync: false, minLength: 4096 });
  const flushing = setInterval(() => {
    try {
      destination.flush();
    } catch {
      // Ended meanwhile (SonicBoom throws once destroyed): nothing more to write.
      clearInterval(flushing);
    }
  }, FLUSH_MS).unref();
  destination.once('close', () => clearInterval(flushing));
  return destination;
}

/** For what runs outside a server (the CLI's commands, tests of a part): warnings on stderr. */
let fallback: Logger | undefined;
export function fallbackLogger(): Logger {
  fallback ??= createLogger({ level: 'warn' });
  return fallback;
}
