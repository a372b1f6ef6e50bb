import { randomUUID } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Checkpoint, openCheckpoint } from '../checkpoints/checkpoint.js';
import { NoteError } from '../checkpoints/note-error.js';
import { parseVerifierKey, type VerifierKey } from '../checkpoints/verifier-key.js';

/** Names the format, so that a later sessionlog can tell an older state file from its own. */
const FORMAT = 'sessionlog-audit/1';

/**
 * What `sessionlog audit` keeps between runs (README, "Auditing a running server"): the key
 * pinned on the first run and the last checkpoint it verified, as the server signed it. The
 * size and root are the note's, repeated for a reader; the note is what is trusted.
 */
export interface AuditState {
  /** The server it was last read from (informative: the origin, not the URL, names the log). */
  readonly url: string;
  readonly origin: string;
  /** The verifier key text, as /api/checkpoint/key answers it. */
  readonly key: string;
  /** How the key was pinned: from --key, or trusted on first use from the server. */
  readonly keyFrom: 'file' | 'server';
  /** The signed checkpoint note, whole. */
  readonly checkpoint: string;
  readonly size: number;
  readonly root: string;
  readonly savedAt: string;
}

/** A state file as read: its fields, the key parsed and the checkpoint opened with it. */
export interface LoadedState {
  readonly state: AuditState;
  readonly key: VerifierKey;
  readonly checkpoint: Checkpoint;
}

export function makeState(
  fields: Omit<AuditState, 'size' | 'root' | 'savedAt'>,
  checkpoint: Checkpoint,
): AuditState {
  return {
    ...fields,
    size: checkpoint.size,
    root: checkpoint.root.toString('base64'),
    savedAt: new Date().toISOString(),
  };
}

/**
 * The state in `file`, or undefined when there is none yet (the first run). A file that is
 * not one, or whose checkpoint the pinned key does not open, is an error naming what is wrong:
 * it is never taken for a first run, which would pin whatever the server says now.
 */
export async function loadState(file: string): Promise<LoadedState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the state file ${file}: ${(error as Error).message}`);
  }
  const bad = (why: string) => new Error(`the state file ${file} is not an audit state: ${why}`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad('it is not JSON');
  }
  if (json === null || typeof json !== 'object' || json.format !== FORMAT) {
    throw bad(`its "format" is not ${JSON.stringify(FORMAT)}`);
  }
  for (const field of ['url', 'origin', 'key', 'checkpoint', 'root', 'savedAt'] as const) {
    if (typeof json[field] !== 'string') throw bad(`"${field}" is not a string`);
  }
  if (json.keyFrom !== 'file' && json.keyFrom !== 'server') {
    throw bad('"keyFrom" is neither "file" nor "server"');
  }
  if (!Number.isSafeInteger(json.size)) throw bad('"size" is not a whole number');
  const state = json as unknown as AuditState;
  try {
    const key = parseVerifierKey(state.key);
    const checkpoint = openCheckpoint(state.checkpoint, key, state.origin);
    if (checkpoint.size !== state.size || checkpoint.root.toString('base64') !== state.root) {
      throw bad('"size" and "root" are not those of its checkpoint');
    }
    return { state, key, checkpoint };
  } catch (error) {
    if (error instanceof NoteError) throw bad(error.message);
    throw error;
  }
}

/**
 * Writes the state whole under another name, flushed, and renames it into place: a crash
 * leaves the old state or the new one, never half of one, and a run that said "saved" has
 * saved. Mode 0600: it says which log one audits and with which key.
 */
export async function saveState(file: string, state: AuditState): Promise<void> {
  const draft = `${file}.${randomUUID()}.tmp`;
  try {
    const handle = await open(draft, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify({ format: FORMAT, ...state }, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(draft, file);
    await syncDirectory(dirname(file));
  } catch (error) {
    await unlink(draft).catch(() => {});
    throw new Error(`cannot save the state file ${file}: ${(error as Error).message}`);
  }
}

/** The rename itself is durable once the directory is flushed (where the platform allows it). */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
