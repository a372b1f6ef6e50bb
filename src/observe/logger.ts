import { openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DestinationStream, LevelWithSilent, Logger } from 'pino';
import { prettyLine } from './pretty-line.js';

/**
 * pino, loaded when a logger is first made: a command that writes no line (verify, events,
 * sessions) does not pay for it (~17 ms of their start). It is a CommonJS package: required.
 */
let pinoLoaded: typeof import('pino') | undefined;
function pinoModule(): typeof import('pino') {
  pinoLoaded ??= createRequire(import.meta.url)('pino') as typeof import('pino');
  return pinoLoaded;
}

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
  const logger = pinoModule().pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      ...(scrub === undefined ? {} : { hooks: { streamWrite: scrub } }),
    },
    stream,
  );
  lineSinks.set(
    logger,
    scrub === undefined ? stream : { write: (line) => stream.write(scrub(line)) },
  );
  return logger;
}

/** Where each logger made here writes a finished line: as pino would, secrets scrubbed. */
const lineSinks = new WeakMap<Logger, DestinationStream>();

/**
 * An info line of fixed shape, written for every request: byte for byte what pino writes
 * (`{"level":30,"time":…,"pid":…`, the bindings, the fields, `"msg":…}`) but put together from
 * its known parts, for about half the cost of pino's general path. The caller gives the
 * fields as JSON members; undefined for a logger made elsewhere (the caller then logs through
 * pino).
 */
export function fixedInfoLine(
  logger: Logger,
  bindings: Record<string, string>,
  msg: string,
): ((fields: string) => void) | undefined {
  const sink = lineSinks.get(logger);
  if (sink === undefined) return undefined;
  const head = `{"level":${logger.levels.values.info},"time":`;
  const bound = Object.entries(bindings)
    .map(([key, value]) => `,${JSON.stringify(key)}:${JSON.stringify(value)}`)
    .join('');
  const tail = `,"msg":${JSON.stringify(msg)}}\n`;
  return (fields) =>
    sink.write(`${head}${Date.now()},"pid":${process.pid}${bound},${fields}${tail}`);
}

/** What is written at least this often: a quiet server's lines wait no longer. */
const FLUSH_MS = 1000;
/** Characters of lines gathered before one write. */
const GATHER = 65_536;
let stderr: LogDestination | undefined;

/** Descriptor 2 as `logDestination` writes it, one per process (every server's logger shares it). */
function stderrDestination(): DestinationStream {
  stderr ??= logDestination(2);
  return stderr;
}

/** Where a server's lines go: `flush` hands over what is gathered, `end` closes. */
export interface LogDestination extends DestinationStream {
  flush(done?: (error?: Error) => void): void;
  end(): void;
}

/**
 * A descriptor or file as a server's log is written: lines gathered until 64 KiB, then one
 * asynchronous write through pino's own writer (SonicBoom); at least every second, and
 * whatever is pending when the process exits. A write per request line was a quarter of what
 * logging costs a request; SonicBoom gathering them itself measures the bytes it holds at each
 * line, which cost as much again: an array joined once costs neither. Each write is a trip to
 * libuv's threads and the kernel: per 64 KiB rather than per 4 KiB took a line from ~1.4 to
 * ~1.1 µs of CPU (a busy server fills 64 KiB in a tenth of a second). A file is opened here,
 * at once, so that a process ending right after its first line still writes it.
 */
export function logDestination(dest: number | string): LogDestination {
  const fd = typeof dest === 'number' ? dest : openSync(dest, 'a');
  const sink = pinoModule().pino.destination({ dest: fd, sync: false });
  let lines: string[] = [];
  let chars = 0;
  const take = (): string => {
    const text = lines.join('');
    lines = [];
    chars = 0;
    return text;
  };
  const drain = () => {
    if (lines.length > 0) sink.write(take());
  };
  const flushing = setInterval(() => {
    try {
      drain();
    } catch {
      // Ended meanwhile (SonicBoom throws once destroyed): nothing more to write.
      clearInterval(flushing);
    }
  }, FLUSH_MS).unref();
  // pino's own hooks end the writer when the event loop runs dry (beforeExit) and flush it at
  // exit; these listeners run before them (prepended). At exit nothing asynchronous finishes:
  // what SonicBoom holds, then the lines gathered here, are written synchronously.
  const beforeExit = () => {
    try {
      drain();
    } catch {
      // Closed already: nothing can be written now.
    }
  };
  const atExit = () => {
    try {
      sink.flushSync();
      if (lines.length > 0) writeSync(fd, take());
    } catch {
      // Closed already: nothing can be written now.
    }
  };
  process.prependListener('beforeExit', beforeExit);
  process.prependListener('exit', atExit);
  sink.once('close', () => {
    clearInterval(flushing);
    process.removeListener('beforeExit', beforeExit);
    process.removeListener('exit', atExit);
  });
  return {
    write(line: string) {
      lines.push(line);
      chars += line.length;
      if (chars >= GATHER) drain();
    },
    flush(done) {
      drain();
      sink.flush(done);
    },
    end() {
      drain();
      sink.end();
    },
  };
}

/**
 * For what runs outside a server (the CLI's commands, tests of a part): warnings on stderr.
 * The stores take it when given no logger, but the commands that only read the log never
 * write a line: it is made (and pino loaded) at its first use, through a stand-in.
 */
let fallback: Logger | undefined;
const madeFallback = () => {
  fallback ??= createLogger({ level: 'warn' });
  return fallback;
};
const fallbackStandIn = new Proxy({} as Logger, {
  get: (_, key) => {
    const logger = madeFallback();
    const value: unknown = Reflect.get(logger, key, logger);
    return typeof value === 'function' ? value.bind(logger) : value;
  },
  set: (_, key, value) => Reflect.set(madeFallback(), key, value),
});
export function fallbackLogger(): Logger {
  return fallbackStandIn;
}
