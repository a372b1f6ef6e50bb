import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { decodeBase64 } from './base64.js';
import { NoteError } from './note-error.js';
import { hasControl, isKeyName, SIGNATURE_PREFIX } from './note-grammar.js';
import { ed25519KeyId, rawEd25519PublicKey, type VerifierKey } from './verifier-key.js';

/**
 * C2SP signed-note (c2sp.org/signed-note) with Ed25519: a text ending in a newline, a blank
 * line, and signature lines `— <key name> <base64(key id ‖ signature)>`.
 */

export interface NoteSigner extends VerifierKey {
  readonly privateKey: KeyObject;
}

export function ed25519Signer(name: string, privateKey: KeyObject): NoteSigner {
  if (!isKeyName(name)) throw new TypeError(`not a key name: ${JSON.stringify(name)}`);
  const publicKey = createPublicKey(privateKey);
  const keyId = ed25519KeyId(name, rawEd25519PublicKey(publicKey));
  return { name, keyId, publicKey, privateKey };
}

/** The note: `text`, a blank line and one signature line by `signer`. */
export function signNote(text: string, signer: NoteSigner): string {
  if (!text.endsWith('\n') || hasControl(text)) {
    throw new TypeError('a note text ends in a newline and holds no other control character');
  }
  const signature = sign(null, Buffer.from(text), signer.privateKey);
  const encoded = Buffer.concat([signer.keyId, signature]).toString('base64');
  return `${text}\n${SIGNATURE_PREFIX}${signer.name} ${encoded}\n`;
}

/** Go's sumdb/note bound: past this many signatures a note is refused unread. */
const MAX_SIGNATURES = 100;

/**
 * The text of `note` once a signature by `key` verifies. Signatures by other keys are
 * skipped, as the spec requires (a witness may cosign); every one that names this key and
 * its id must verify. Throws a NoteError naming what is wrong.
 */
export function openNote(note: string | Uint8Array, key: VerifierKey): string {
  const { text, signatures } = splitNote(note);
  let verified = 0;
  const others: string[] = [];
  for (const { name, keyId, signature } of signatures) {
    if (name !== key.name || !keyId.equals(key.keyId)) {
      others.push(`${name}+${keyId.toString('hex')}`);
      continue;
    }
    if (!verify(null, Buffer.from(text), key.publicKey, signature)) {
      throw new NoteError(
        'bad-signature',
        `the signature by ${key.name} does not verify: the note was altered or signed by another key of that name`,
      );
    }
    verified += 1;
  }
  if (verified === 0) {
    throw new NoteError(
      'unknown-key',
      `not signed by ${key.name}+${key.keyId.toString('hex')} (signed by ${others.join(', ')})`,
    );
  }
  return text;
}

/**
 * The text of `note` and the keys that say they signed it (`name+id`), no signature checked:
 * for an auditor without a verifier key, who must be told that nothing vouches for the text.
 * The grammar is checked as `openNote` checks it.
 */
export function readNoteUnverified(note: string | Uint8Array): { text: string; signers: string[] } {
  const { text, signatures } = splitNote(note);
  return {
    text,
    signers: signatures.map(({ name, keyId }) => `${name}+${keyId.toString('hex')}`),
  };
}

function splitNote(note: string | Uint8Array): {
  text: string;
  signatures: ReturnType<typeof parseSignatureLine>[];
} {
  const message = typeof note === 'string' ? note : decodeUtf8(note);
  if (hasControl(message)) throw malformed('it holds a control character other than newline');
  // The text ends at the last blank line: the text itself may hold blank lines.
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (!block.endsWith('\n')) throw malformed('the signature lines do not end in a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw malformed(`more than ${MAX_SIGNATURES} signatures`);
  return { text, signatures: lines.map(parseSignatureLine) };
}

function parseSignatureLine(line: string): { name: string; keyId: Buffer; signature: Buffer } {
  if (!line.startsWith(SIGNATURE_PREFIX)) {
    throw malformed(`a line after the blank line is not a signature: ${JSON.stringify(line)}`);
  }
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = rest.slice(0, space);
  const bytes = space < 0 ? undefined : decodeBase64(rest.slice(space + 1));
  if (!isKeyName(name) || bytes === undefined || bytes.length < 5) {
    throw malformed(`not a signature line: ${JSON.stringify(line)}`);
  }
  return { name, keyId: bytes.subarray(0, 4), signature: bytes.subarray(4) };
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw malformed('it is not UTF-8');
  }
}

function malformed(why: string): NoteError {
  return new NoteError('malformed-note', `not a signed note: ${why}`);
}
