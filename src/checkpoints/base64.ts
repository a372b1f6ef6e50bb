/**
 * Standard base64 (RFC 4648 §4), decoded strictly: Buffer.from(text, 'base64') skips what it
 * does not understand, which would let two texts stand for the same signature or root.
 * Only the canonical encoding of some bytes is accepted.
 */
export function decodeBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}
