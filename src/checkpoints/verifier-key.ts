import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { decodeBase64 } from './base64.js';
import { NoteError } from './note-error.js';
import { isKeyName } from './note-grammar.js';

/** The signature type byte for Ed25519 (C2SP signed-note, "Signature types"). */
const ED25519 = 0x01;

/** A key that checks notes: its name, its 4-byte id and the Ed25519 public key. */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: Buffer;
  readonly publicKey: KeyObject;
}

/** SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)[:4]. */
export function ed25519KeyId(name: string, rawPublicKey: Uint8Array): Buffer {
  const hash = createHash('sha256')
    .update(name)
    .update(Buffer.from([0x0a, ED25519]));
  return hash.update(rawPublicKey).digest().subarray(0, 4);
}

/** The 32 bytes RFC 8032 encodes an Ed25519 public key as. */
export function rawEd25519PublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (key.asymmetricKeyType !== 'ed25519' || jwk.x === undefined) {
    throw new TypeError('checkpoints are signed with an Ed25519 key');
  }
  return Buffer.from(jwk.x, 'base64url');
}

/** `<name>+<key id as 8 lowercase hex digits>+<base64(0x01 ‖ public key)>`. */
export function formatVerifierKey(name: string, publicKey: KeyObject): string {
  if (!isKeyName(name)) throw new TypeError(`not a key name: ${JSON.stringify(name)}`);
  const raw = rawEd25519PublicKey(publicKey);
  const encoded = Buffer.concat([Buffer.from([ED25519]), raw]).toString('base64');
  return `${name}+${ed25519KeyId(name, raw).toString('hex')}+${encoded}`;
}

/** Parses a verifier key as `formatVerifierKey` writes it; a key file's final newline is allowed. */
export function parseVerifierKey(text: string): VerifierKey {
  const line = text.endsWith('\n') ? text.slice(0, -1) : text;
  // Names hold no '+' and ids are hex, but base64 may hold '+': only the first two separate.
  const [name = '', id = '', ...rest] = line.split('+');
  if (rest.length === 0) throw malformed('three parts joined by "+": name, key id, key');
  if (!isKeyName(name)) throw malformed(`the key name ${JSON.stringify(name)} is not one`);
  if (!/^[0-9a-f]{8}$/.test(id)) throw malformed('the key id is not 8 lowercase hex digits');
  const key = decodeBase64(rest.join('+'));
  if (key === undefined) throw malformed('the key is not standard base64');
  if (key[0] !== ED25519) throw malformed('the key is not an Ed25519 key (type byte 0x01)');
  const raw = key.subarray(1);
  if (raw.length !== 32) throw malformed(`an Ed25519 key is 32 bytes, this one ${raw.length}`);
  const keyId = ed25519KeyId(name, raw);
  if (keyId.toString('hex') !== id) {
    throw malformed(`the key id ${id} is not that of this name and key (${keyId.toString('hex')})`);
  }
  return { name, keyId, publicKey: ed25519PublicKey(raw) };
}

function ed25519PublicKey(raw: Buffer): KeyObject {
  try {
    const x = raw.toString('base64url');
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch {
    throw malformed('the 32 bytes are not an Ed25519 public key');
  }
}

function malformed(why: string): NoteError {
  return new NoteError('malformed-key', `not a verifier key: ${why}`);
}
