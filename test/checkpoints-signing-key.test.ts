import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  readOrCreateSigningKey,
  readSigningKey,
  SigningKeyError,
} from '../src/checkpoints/signing-key.js';
import { useTempDir } from './support/temp-dir.js';

const publicOf = (key: KeyObject) => createPublicKey(key).export({ format: 'jwk' }).x;

describe('the checkpoint signing key file', () => {
  const dir = useTempDir();

  it('is made private (0600) as PKCS#8 PEM when absent, and read back the same', async () => {
    const file = join(dir(), 'log.db.signing-key');
    const made = await readOrCreateSigningKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PRIVATE KEY-----\n$/,
    );
    expect(made.asymmetricKeyType).toBe('ed25519');
    expect(publicOf((await readOrCreateSigningKey(file)) as KeyObject)).toBe(publicOf(made));
    expect(publicOf((await readSigningKey(file)) as KeyObject)).toBe(publicOf(made));
    expect(readdirSync(dir())).toEqual(['log.db.signing-key']);
  });

  it('is one key when several nodes start at once, with nothing else left behind', async () => {
    const file = join(dir(), 'shared.signing-key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => readOrCreateSigningKey(file)));
    const onDisk = await readSigningKey(file);
    expect(new Set(keys.map(publicOf))).toEqual(new Set([publicOf(onDisk as KeyObject)]));
    expect(readdirSync(dir())).toEqual(['shared.signing-key']);
  });

  it('is not made by a reader: an absent file reads as no key', async () => {
    expect(await readSigningKey(join(dir(), 'absent'))).toBeUndefined();
    expect(readdirSync(dir())).toEqual([]);
  });

  it('is refused when others may read it, saying how to fix it, and left as it was', async () => {
    const file = join(dir(), 'open.signing-key');
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(file, pem, { mode: 0o644 });
    chmodSync(file, 0o644);
    await expect(readOrCreateSigningKey(file)).rejects.toThrow(
      new SigningKeyError(
        `the signing key ${file} can be read or written by others (mode 644); make it private with: chmod 600 ${file}`,
      ),
    );
    expect(readFileSync(file, 'utf8')).toBe(pem);
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });

  it('is refused when it is not an Ed25519 private key in PEM, naming the file', async () => {
    const cases: [string, string, RegExp][] = [
      ['garbage', 'not a key\n', /is not a PEM private key \(PKCS#8\)/],
      ['empty', '', /is not a PEM private key \(PKCS#8\)/],
      [
        'public',
        generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string,
        /is not a PEM private key \(PKCS#8\)/,
      ],
      [
        'rsa',
        generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }) as string,
        /is a rsa key, not Ed25519/,
      ],
    ];
    for (const [name, content, message] of cases) {
      const file = join(dir(), name);
      writeFileSync(file, content, { mode: 0o600 });
      await expect(readOrCreateSigningKey(file)).rejects.toThrow(SigningKeyError);
      await expect(readOrCreateSigningKey(file)).rejects.toThrow(message);
      await expect(readOrCreateSigningKey(file)).rejects.toThrow(file);
      expect(readFileSync(file, 'utf8')).toBe(content);
    }
  });

  it('is refused when the path is a directory or cannot be made', async () => {
    mkdirSync(join(dir(), 'a-directory'));
    await expect(readOrCreateSigningKey(join(dir(), 'a-directory'))).rejects.toThrow(
      /is not a file/,
    );
    await expect(readOrCreateSigningKey(join(dir(), 'missing', 'key'))).rejects.toThrow(
      /cannot create the signing key .*missing\/key/,
    );
    expect(readdirSync(dir())).toEqual(['a-directory']);
  });
});
