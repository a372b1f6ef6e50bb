import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command, Output } from './args.js';
import { httpCheckpointSource } from './audit-source.js';
import { loadState } from './audit-state.js';
import { AuditFailure, type AuditOutcome, auditOnce } from './audit-step.js';
import { untilInterrupted } from './interrupt.js';
import { serverAddress } from './server-address.js';

const DEFAULT_INTERVAL_S = 5;

/** `sessionlog audit`: proves, run after run, that a server's log only ever grew. */
export const audit: Command = {
  name: 'audit',
  usage: `sessionlog audit --url URL --state FILE [--key FILE] [--token TOKEN] [--follow [--interval S]]

An auditor's check of a running server, in O(log n) whatever the log's size. The first run
pins the server's verifier key (the one in --key, else the one GET /api/checkpoint/key
answers now: trusted on first use) and saves the server's signed checkpoint in the state
file. Each later run fetches the new checkpoint, checks its signature with the pinned key and
that it is of the same log, and checks a consistency proof (RFC 9162) that the log it covers
extends the saved one: the same events first, only new ones after. Then it saves the new
checkpoint. Exits 0 when all holds, 1 saying what does not (another key, another log, a log
that shrank or was rewritten); the state file is then left as it was.

  --url URL        the server (the URL serve prints; its ?token= is used)
  --state FILE     the state file: JSON, made on the first run (mode 0600), replaced
                   whole on each later one; keep it where the server cannot write
  --key FILE       the verifier key to pin, as GET /api/checkpoint/key answers it, got
                   another way than from the server; on later runs it must be the pinned one
  --token TOKEN    the server's token (SESSIONLOG_TOKEN)
  --follow         check again every few seconds until interrupted, a line per new checkpoint
  --interval S     with --follow, seconds between checks (default ${DEFAULT_INTERVAL_S})`,
  options: {
    url: { type: 'string', short: 'u' },
    state: { type: 'string' },
    key: { type: 'string' },
    token: { type: 'string' },
    follow: { type: 'boolean' },
    interval: { type: 'string' },
  },
  async run(values, out) {
    if (values.url === undefined) throw new Error('--url is required: the server to audit');
    const stateFile = values.state as string | undefined;
    if (stateFile === undefined) throw new Error('--state is required: where the audit is kept');
    const follow = values.follow === true;
    const interval = intervalOf(values.interval as string | undefined, follow);
    const { origin, token } = serverAddress(
      values.url as string,
      values.token as string | undefined,
    );
    const keyFile = values.key as string | undefined;
    const keyText = keyFile === undefined ? undefined : await readKeyFile(keyFile);

    const stop = untilInterrupted(out.signal, follow);
    try {
      const source = httpCheckpointSource(origin, token, stop.signal);
      let saved = await loadState(stateFile);
      const first = await round(out, stop.signal, () =>
        auditOnce({ source, stateFile, saved, keyText }),
      );
      if (first.code !== undefined) return first.code;
      printFirst(out, first.outcome as AuditOutcome, stateFile, origin, keyFile);
      saved = first.outcome?.saved;
      let lastTrouble = '';
      while (follow && !stop.signal.aborted) {
        try {
          await sleep(interval * 1000, undefined, { signal: stop.signal });
        } catch {
          break; // interrupted
        }
        try {
          const outcome = await auditOnce({ source, stateFile, saved, keyText });
          lastTrouble = '';
          if (outcome.saved !== saved) out.log(followLine(outcome));
          saved = outcome.saved;
        } catch (error) {
          if (stop.signal.aborted) break;
          if (error instanceof AuditFailure) return fail(out, error);
          // A server restarting or a network down is not a failed check: try again.
          const trouble = (error as Error).message;
          if (trouble !== lastTrouble) out.error(`${trouble} (trying again every ${interval} s)`);
          lastTrouble = trouble;
        }
      }
      return 0;
    } finally {
      stop.dispose();
    }
  },
};

async function round(
  out: Output,
  signal: AbortSignal,
  step: () => Promise<AuditOutcome>,
): Promise<{ code?: number; outcome?: AuditOutcome }> {
  try {
    return { outcome: await step() };
  } catch (error) {
    if (error instanceof AuditFailure) return { code: fail(out, error) };
    // Only a request is cut short by the signal, never the state file's write.
    if (signal.aborted) throw new Error('interrupted before the first check ended: nothing saved');
    throw error;
  }
}

function fail(out: Output, error: AuditFailure): number {
  out.error(`FAILED: ${error.message}`);
  return 1;
}

function printFirst(
  out: Output,
  { saved, from, proofLength, pinned }: AuditOutcome,
  stateFile: string,
  origin: string,
  keyFile: string | undefined,
): void {
  const { checkpoint, state } = saved;
  const keyName = `${saved.key.name}+${saved.key.keyId.toString('hex')}`;
  if (pinned === 'server') {
    out.log(
      `key         ${keyName} pinned, trusted on first use (from ${origin}/api/checkpoint/key): compare it with the operator's, or pin one with --key`,
    );
  } else if (pinned === 'file') {
    out.log(`key         ${keyName} pinned, from ${keyFile}`);
  } else {
    out.log(
      `key         ${keyName}, pinned in ${stateFile} (${state.keyFrom === 'server' ? 'trusted on first use' : 'from a file'})`,
    );
  }
  out.log(
    `checkpoint  ${checkpoint.origin}, size ${checkpoint.size}, root ${checkpoint.root.toString('base64')}, signature verified`,
  );
  if (from === undefined) {
    out.log(`saved       ${stateFile}`);
  } else if (from === checkpoint.size) {
    out.log(`consistent  same size and root as the saved checkpoint; ${stateFile} unchanged`);
  } else {
    out.log(
      `consistent  extends the saved checkpoint of size ${from} (proof of ${hashes(proofLength)})`,
    );
    out.log(`saved       ${stateFile}`);
  }
}

function followLine({ saved, from, proofLength }: AuditOutcome): string {
  const { size, root } = saved.checkpoint;
  return `${new Date().toISOString()}  size ${size}, root ${root.toString('base64')}: extends ${from}${proofLength > 0 ? ` (proof of ${hashes(proofLength)})` : ''}, saved`;
}

function intervalOf(text: string | undefined, follow: boolean): number {
  if (text === undefined) return DEFAULT_INTERVAL_S;
  if (!follow) throw new Error('--interval goes with --follow');
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds < 0.1 || seconds > 86_400) {
    throw new Error(`--interval must be seconds from 0.1 to 86400, not ${JSON.stringify(text)}`);
  }
  return seconds;
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the key file ${file}: ${(error as Error).message}`);
  }
}

const hashes = (n: number) => `${n} hash${n === 1 ? '' : 'es'}`;
