import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { onTestFinished } from 'vitest';

/** A `sessionlog serve` child process on a fixed port. */
export interface ServerChild {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** The head it announced when it started: everything committed before it (re)opened the log. */
  readonly head: number;
  /** Resolves once the process has exited (with the signal that ended it, if any). */
  readonly exited: Promise<NodeJS.Signals | null>;
  /** SIGKILLs the process and waits until it is gone (its port and lock free again). */
  kill(): Promise<void>;
  /** SIGTERM: a clean shutdown; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** A port that was free a moment ago, to restart a server on the same address. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  await once(probe, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Runs `node bin/sessionlog.js serve --db FILE --port PORT` (watching off, creations not
 * rate-limited) and resolves once it prints its URL. Whatever the test does, the child is
 * SIGKILLed when the test finishes.
 */
export async function serveChild(
  db: string,
  port: number,
  extra: readonly string[] = [],
  /** A command that runs node in its place (it must exec it), e.g. `prlimit --nofile=…`. */
  wrapper: readonly string[] = [],
): Promise<ServerChild> {
  if (!existsSync('dist/cli/main.js')) throw new Error('dist/ is missing: run `npm run build`');
  const [command, ...args] = [
    ...wrapper,
    process.execPath,
    'bin/sessionlog.js',
    'serve',
    '--db',
    db,
    '--port',
    String(port),
    '--max-watchers',
    '0',
    '--create-rate',
    '0',
    ...extra,
  ];
  const child = spawn(command as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let head = Number.NaN;
  const url = await new Promise<string>((resolve, reject) => {
    let n = 0;
    lines.on('line', (line) => {
      n++;
      if (n === 1) head = Number(/, head (\d+)\)/.exec(line)?.[1]);
      if (n === 2) resolve(line);
    });
    void exited.then(() =>
      reject(new Error(`serve exited before printing its URL: ${stderr.trim()}`)),
    );
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('serve has no pid');
  return {
    child,
    pid,
    url,
    head,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      return child.exitCode;
    },
  };
}

export interface Answer {
  status: number;
  body: unknown;
}

/**
 * One HTTP request on a connection of its own (`agent: false`): after a restart, a pooled
 * keep-alive socket may be one the dead server closed. Rejects on any network failure.
 */
export function send(
  port: number,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          ...(payload === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(payload)),
              }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json')) {
            try {
              body = JSON.parse(text);
            } catch {
              // An NDJSON body, or a cut one: left as text.
            }
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.setTimeout(options.timeoutMs ?? 15_000, () =>
      req.destroy(new Error(`${method} ${path}: no answer in time`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The resident set size of a live process, in bytes (Linux: /proc/<pid>/status). */
export function residentBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}
