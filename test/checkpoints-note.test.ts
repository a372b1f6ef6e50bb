import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  checkpointOrigin,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
} from '../src/checkpoints/checkpoint.js';
import { eventLeafHash } from '../src/checkpoints/merkle-hash.js';
import { MemoryTree } from '../src/checkpoints/merkle-memory.js';
import { NoteError, type NoteFailure } from '../src/checkpoints/note-error.js';
import { ed25519Signer, openNote, signNote } from '../src/checkpoints/signed-note.js';
import { formatVerifierKey, parseVerifierKey } from '../src/checkpoints/verifier-key.js';

const reasonOf = (open: () => unknown): NoteFailure | undefined => {
  try {
    open();
  } catch (error) {
    if (error instanceof NoteError) return error.reason;
    throw error;
  }
  return undefined;
};

/** An Ed25519 private key from its 32-byte RFC 8032 seed (PKCS#8 DER: a fixed prefix, then it). */
const keyFromSeed = (seed: Buffer) =>
  createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });

// golang.org/x/mod/sumdb/note, note_test.go (github.com/golang/mod): TestSign and TestOpen.
// Its private key text is PRIVATE+KEY+<name>+<id>+base64(0x01 ‖ seed).
const goVectors = {
  signerKey: 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz',
  peterKey: 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
  enochKey: 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop',
  text:
    'If you think cryptography is the answer to your problem,\n' +
    "then you don't know what your problem is.\n",
  peterSig:
    '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n',
  enochSig:
    '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n',
};

// C2SP signed-note.md, "Verifier keys: Example", and tlog-checkpoint.md's example body
// (github.com/C2SP/C2SP at 5ba5ee8).
const c2spVector = {
  key: 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k',
  note:
    'This is an example message.\n\n' +
    '— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n',
  checkpoint:
    'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
};

describe('signed notes against other implementations', () => {
  it('signs byte for byte as Go sumdb/note does with the same key', () => {
    const seed = Buffer.from(
      goVectors.signerKey.slice('PRIVATE+KEY+PeterNeumann+c74f20a3+'.length),
      'base64',
    ).subarray(1);
    const signer = ed25519Signer('PeterNeumann', keyFromSeed(seed));
    expect(formatVerifierKey(signer.name, signer.publicKey)).toBe(goVectors.peterKey);
    expect(signNote(goVectors.text, signer)).toBe(`${goVectors.text}\n${goVectors.peterSig}`);
  });

  it("opens Go's doubly signed note with either key, ignoring the other's signature", () => {
    const note = `${goVectors.text}\n${goVectors.peterSig}${goVectors.enochSig}`;
    expect(openNote(note, parseVerifierKey(goVectors.peterKey))).toBe(goVectors.text);
    expect(openNote(note, parseVerifierKey(goVectors.enochKey))).toBe(goVectors.text);
    expect(openNote(Buffer.from(note), parseVerifierKey(goVectors.enochKey))).toBe(goVectors.text);
  });

  it("opens the C2SP spec's example note with its verifier key", () => {
    const key = parseVerifierKey(c2spVector.key);
    expect(key.keyId.toString('hex')).toBe('530d903a');
    expect(openNote(c2spVector.note, key)).toBe('This is an example message.\n');
  });

  it("reads the C2SP spec's example checkpoint body", () => {
    expect(parseCheckpoint(c2spVector.checkpoint)).toEqual({
      origin: 'example.com/behind-the-sofa',
      size: 20852163,
      root: Buffer.from('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'base64'),
    });
  });
});

describe('verifier keys', () => {
  it('refuse every mangled form of a good key, as Go sumdb/note does', () => {
    // TestNewVerifier: every proper substring and every one-byte change is refused.
    const good = goVectors.peterKey;
    const bad: string[] = [];
    for (let i = 0; i <= good.length; i++) {
      for (let j = i + 1; j <= good.length; j++) {
        if (i !== 0 || j !== good.length) bad.push(good.slice(i, j));
      }
    }
    for (let i = 0; i < good.length; i++) {
      bad.push(good.slice(0, i) + String.fromCharCode(good.charCodeAt(i) + 1) + good.slice(i + 1));
    }
    // Wrong key length and unknown algorithm, each with a key id that matches.
    bad.push('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==');
    bad.push('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
    const accepted = bad.filter((key) => reasonOf(() => parseVerifierKey(key)) !== 'malformed-key');
    expect(accepted).toEqual([]);
    expect(parseVerifierKey(`${good}\n`).name).toBe('PeterNeumann');
  });
});

describe('a checkpoint of a log', () => {
  const logId = '0f8e7c1e-3a64-4a5c-9a55-7f8d6b2e4c11';
  const origin = checkpointOrigin(logId);
  const signer = ed25519Signer(origin, generateKeyPairSync('ed25519').privateKey);
  const key = parseVerifierKey(formatVerifierKey(signer.name, signer.publicKey));
  const tree = new MemoryTree();
  tree.append(['1', '2', '3'].map((d) => eventLeafHash(d.repeat(64))));
  const checkpoint: Checkpoint = { origin, size: 3, root: tree.root() };
  const note = signCheckpoint(checkpoint, signer);

  it('is the three-line body, a blank line and one signature line, and opens to itself', () => {
    const lines = note.split('\n');
    expect(lines.slice(0, 4)).toEqual([origin, '3', tree.root().toString('base64'), '']);
    expect(lines[4]).toMatch(new RegExp(`^— ${origin} [A-Za-z0-9+/]{91}=$`));
    expect(lines.slice(5)).toEqual(['']);
    expect(Buffer.from(lines[4]?.split(' ')[2] ?? '', 'base64').subarray(0, 4)).toEqual(key.keyId);
    expect(openCheckpoint(note, key, origin)).toEqual(checkpoint);
    expect(formatVerifierKey(signer.name, signer.publicKey)).toMatch(
      new RegExp(`^sessionlog/${logId}\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]{44}$`),
    );
  });

  it('refuses every forgery, naming what is wrong', () => {
    const body = note.slice(0, note.indexOf('\n\n') + 1);
    const signatureLine = note.slice(body.length + 1);
    const otherSigner = ed25519Signer(origin, generateKeyPairSync('ed25519').privateKey);
    const resigned = (text: string) => `${text}\n${signatureLine}`;
    const forgeries: [string, string, NoteFailure][] = [
      [
        'signed by another key of the same name',
        signCheckpoint(checkpoint, otherSigner),
        'unknown-key',
      ],
      ['an edited size', resigned(body.replace('\n3\n', '\n2\n')), 'bad-signature'],
      [
        'an edited root',
        resigned(body.replace(/\n[^\n]+\n$/, `\n${Buffer.alloc(32).toString('base64')}\n`)),
        'bad-signature',
      ],
      ['an edited origin', resigned(body.replace(logId, logId.toUpperCase())), 'bad-signature'],
      [
        'an extra line in the body, signed',
        signNote(`${body}extension\n`, signer),
        'malformed-checkpoint',
      ],
      ['an extra line in the body, unsigned', resigned(`${body}extension\n`), 'bad-signature'],
      [
        'a line missing from the body, signed',
        signNote(`${origin}\n3\n`, signer),
        'malformed-checkpoint',
      ],
      [
        'a size with a leading zero, signed',
        signNote(body.replace('\n3\n', '\n03\n'), signer),
        'malformed-checkpoint',
      ],
      [
        'a size with a sign, signed',
        signNote(body.replace('\n3\n', '\n+3\n'), signer),
        'malformed-checkpoint',
      ],
      [
        'a root of 31 bytes, signed',
        signNote(`${origin}\n3\n${Buffer.alloc(31).toString('base64')}\n`, signer),
        'malformed-checkpoint',
      ],
      [
        'a root in unpadded base64, signed',
        signNote(body.replace(/=\n$/, '\n'), signer),
        'malformed-checkpoint',
      ],
      ['no blank line', note.replace('\n\n', '\n'), 'malformed-note'],
      ['a line after the signature', `${note}trailing\n`, 'malformed-note'],
      ['no final newline', note.slice(0, -1), 'malformed-note'],
      ['a carriage return', note.replace('\n3\n', '\n3\r\n'), 'malformed-note'],
      ['a signature in non-canonical base64', note.replace(/=\n$/, '\n'), 'malformed-note'],
      ['a hyphen for the em dash', note.replace('— ', '- '), 'malformed-note'],
      // Six bytes fewer, in canonical base64: well formed, and no signature of this body.
      ['a signature cut short', cutSignature(note, 6), 'bad-signature'],
      ['no signature at all', `${body}\n`, 'malformed-note'],
    ];
    const verdicts = forgeries.map(([what, forged]) => [
      what,
      reasonOf(() => openCheckpoint(forged, key, origin)),
    ]);
    expect(verdicts).toEqual(forgeries.map(([what, , reason]) => [what, reason]));
  });

  it("refuses another log's checkpoint signed with the same key", () => {
    const other = { ...checkpoint, origin: checkpointOrigin('another-log') };
    expect(reasonOf(() => openCheckpoint(signCheckpoint(other, signer), key, origin))).toBe(
      'wrong-origin',
    );
  });

  it('keeps a witness cosignature from another key out of the way', () => {
    const witness = ed25519Signer('witness.example/w1', generateKeyPairSync('ed25519').privateKey);
    const cosigned =
      note + signNote(note.slice(0, note.indexOf('\n\n') + 1), witness).split('\n\n')[1];
    expect(openCheckpoint(cosigned, key, origin)).toEqual(checkpoint);
    // A character well inside the signature bytes, past the key id's.
    const altered = cosigned.replace(
      /^(— sessionlog\S+ .{20})(.)/m,
      (_, start: string, c: string) => start + (c === 'A' ? 'B' : 'A'),
    );
    expect(reasonOf(() => openCheckpoint(altered, key, origin))).toBe('bad-signature');
  });
});

/** The note with its signature line's bytes (key id ‖ signature) cut `bytes` short. */
function cutSignature(note: string, bytes: number): string {
  const encoded = /^— \S+ (\S+)\n$/m.exec(note)?.[1] ?? '';
  const decoded = Buffer.from(encoded, 'base64');
  return note.replace(encoded, decoded.subarray(0, decoded.length - bytes).toString('base64'));
}
