import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What the bench and its children say to each other over IPC: tagged objects. */
export interface Message {
  type: string;
}

export interface ChildOptions {
  /** Arguments to the script. */
  args?: readonly string[];
  /** Flags to node itself (`--expose-gc`, `--cpu-prof`). */
  nodeArgs?: readonly string[];
}

/** A bench child process: a server or a crowd of clients, on its own event loop. */
export interface BenchChild<In extends Message, Out extends Message> {
  readonly pid: number;
  send(message: In): void;
  /** The next message of this type (kept if it came already); rejects if the child exits. */
  next<T extends Out['type']>(type: T, timeoutMs?: number): Promise<Extract<Out, { type: T }>>;
  /** Sends `message` and waits for the reply of type `type`. */
  ask<T extends Out['type']>(
    message: In,
    type: T,
    timeoutMs?: number,
  ): Promise<Extract<Out, { type: T }>>;
  /** Disconnects (the child closes and exits), or kills the child if it does not exit. */
  stop(): Promise<void>;
}

const REPO = fileURLToPath(new URL('..', import.meta.url));

interface Waiter {
  type: string;
  resolve(message: Message): void;
  reject(error: Error): void;
}

/**
 * Runs `bench/<script>` with `node --import tsx` and an IPC channel. Each server and each
 * crowd of clients gets its own process so that none of them shares an event loop with the
 * load generator, and a figure is the server's, not the bench's.
 */
export function startChild<In extends Message, Out extends Message>(
  script: string,
  { args = [], nodeArgs = [] }: ChildOptions = {},
): BenchChild<In, Out> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  // stdout goes to the bench's stderr: the bench's stdout holds the report alone.
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path, ...args], {
    cwd: REPO,
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  const inbox: Message[] = [];
  const waiters: Waiter[] = [];
  let exit: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = new Error(`${script} exited (${signal ?? `code ${code}`})`);
      for (const waiter of waiters.splice(0)) waiter.reject(exit);
      resolve();
    });
  });
  child.on('message', (message: Message) => {
    const at = waiters.findIndex((waiter) => waiter.type === message.type);
    if (at === -1) inbox.push(message);
    else waiters.splice(at, 1)[0]?.resolve(message);
  });

  const next = <T extends Out['type']>(type: T, timeoutMs = 60_000) =>
    new Promise<Extract<Out, { type: T }>>((resolve, reject) => {
      const at = inbox.findIndex((message) => message.type === type);
      if (at !== -1) return resolve(inbox.splice(at, 1)[0] as Extract<Out, { type: T }>);
      if (exit !== undefined) return reject(exit);
      // A child that hangs must not hang the bench: every wait is bounded.
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`${script}: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        type,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message as Extract<Out, { type: T }>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      waiters.push(waiter);
    });

  return {
    pid: child.pid ?? -1,
    send: (message) => child.send(message),
    next,
    ask(message, type, timeoutMs) {
      const reply = next(type, timeoutMs);
      child.send(message);
      return reply;
    },
    async stop() {
      if (exit !== undefined) return;
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
