/** Why a signed note, a checkpoint or a verifier key was refused. */
export type NoteFailure =
  | 'malformed-note' // not the signed-note grammar (C2SP signed-note)
  | 'malformed-key' // a verifier key that is not `<name>+<8 hex>+<base64(0x01 ‖ key)>`
  | 'malformed-checkpoint' // a body that is not origin, size, root (C2SP tlog-checkpoint)
  | 'unknown-key' // no signature by the key the verifier trusts
  | 'bad-signature' // a signature by that key that does not verify: the note was altered
  | 'wrong-origin'; // a checkpoint of another log

export class NoteError extends Error {
  override readonly name = 'NoteError';
  constructor(
    readonly reason: NoteFailure,
    message: string,
  ) {
    super(message);
  }
}
