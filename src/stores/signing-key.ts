import type { KeyObject } from 'node:crypto';
import { generateSigningKey, readOrCreateSigningKey } from '../checkpoints/signing-key.js';
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
 * The key `checkpoint --db` signs with: the one `serve` uses, found the same way and, as SPEC
 * has it, made 0600 when absent (the checkpoint of a log never served is signed under the key
 * its server will use). A PostgreSQL log has no default file: every node needs the same one.
 */
export async function checkpointSigningKey(
  backend: LogBackend,
  file: string | undefined,
): Promise<KeyObject> {
  const key = await serveSigningKey(backend, file);
  if (key === undefined) {
    throw new Error(
      `${backend.location} has no signing key file by default: give the one its servers use with --signing-key FILE (SESSIONLOG_SIGNING_KEY)`,
    );
  }
  return key;
}
