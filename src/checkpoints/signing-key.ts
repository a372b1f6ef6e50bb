import { createPrivateKey, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { link, open, unlink, writeFile } from 'node:fs/promises';

/**
 * The checkpoint signing key: an Ed25519 private key in a file of its own, PKCS#8 PEM (what
 * `openssl genpkey -algorithm ed25519` writes, so an operator can make or inspect one), kept
 * outside the log: whoever can rewrite the log must not be able to sign for it.
 */

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

/** A key for a log that lives only as long as the process (`:memory:`). */
export function generateSigningKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

/** The key in `file`, or undefined when there is no such file. */
export async function readSigningKey(file: string): Promise<KeyObject | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SigningKeyError(`cannot read the signing key ${file}: ${(error as Error).message}`);
  }
  try {
    // The mode of the file actually opened, not of whatever the path names a moment later.
    const { mode, isFile } = await handle
      .stat()
      .then((s) => ({ mode: s.mode, isFile: s.isFile() }));
    if (!isFile) throw new SigningKeyError(`the signing key ${file} is not a file`);
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new SigningKeyError(
        `the signing key ${file} can be read or written by others (mode ${(mode & 0o777).toString(8)}); make it private with: chmod 600 ${file}`,
      );
    }
    return parseKey(file, await handle.readFile('utf8'));
  } finally {
    await handle.close();
  }
}

/**
 * The key in `file`, made (mode 0600) when there is none. Written whole under another name
 * and linked into place, which fails if the file appeared meanwhile: when two nodes start
 * together, one key wins and both use it, and no one ever reads a half-written file.
 */
export async function readOrCreateSigningKey(file: string): Promise<KeyObject> {
  const existing = await readSigningKey(file);
  if (existing !== undefined) return existing;
  const key = generateSigningKey();
  const draft = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(draft, key.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
      flag: 'wx',
    });
    await link(draft, file);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SigningKeyError(
        `cannot create the signing key ${file}: ${(error as Error).message}`,
      );
    }
    const winner = await readSigningKey(file);
    if (winner === undefined)
      throw new SigningKeyError(`the signing key ${file} vanished as it was made`);
    return winner;
  } finally {
    await unlink(draft).catch(() => {});
  }
}

function parseKey(file: string, pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new SigningKeyError(`the signing key ${file} is not a PEM private key (PKCS#8)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SigningKeyError(
      `the signing key ${file} is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`,
    );
  }
  return key;
}
