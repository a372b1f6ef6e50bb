import type { KeyObject } from 'node:crypto';
import {
  generateSigningKey,
  readOrCreateSigningKey,
  readSigningKey,
} from '../checkpoints/signing-key.js';
import type { LogBackend } from './log-backend.js';

/**
 * The key `serve` signs checkpoints with: the file `--signing-key` names (made 0600 when
 * absent), else the backend's default (a file beside the log file, made when absent; a key
 * made at start for a log in memory); undefined for a PostgreSQL node given none, which then
 * serves everything but the checkpoint. Never a key made for PostgreSQL implicitly: each
 * node would make its own, and their checkpoints would not verify with one key.
 */
export async function serveSigningKey(
  backend: LogBackend,
  file: string | undefined,
): Promise<KeyObject | undefined> {
  if (file !== undefined) return readOrCreateSigningKey(file);
  const fallback = backend.defaultSigningKey;
  if (fallback === 'none') return undefined;
  if (fallback === 'made-at-start') return generateSigningKey();
  return readOrCreateSigningKey(fallback.file);
}

/**
 * The key a read command (`checkpoint --db`) signs with: the same file `serve` uses, read
 * but never made: a command that reads the log changes nothing beside it either, and a key
 * it made from a mistyped path would sign checkpoints under a key no auditor has pinned.
 */
export async function existingSigningKey(
  backend: LogBackend,
  file: string | undefined,
): Promise<KeyObject> {
  const fallback = backend.defaultSigningKey;
  const path = file ?? (typeof fallback === 'object' ? fallback.file : undefined);
  if (path === undefined) {
    throw new Error(
      `${backend.location} has no signing key file by default: give the one its servers use with --signing-key FILE (SESSIONLOG_SIGNING_KEY)`,
    );
  }
  const key = await readSigningKey(path);
  if (key === undefined) {
    throw new Error(
      `no signing key at ${path}: sessionlog serve makes it on its first start (or give the one the server uses with --signing-key FILE)`,
    );
  }
  return key;
}
