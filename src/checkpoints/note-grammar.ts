/** The lexical rules of a C2SP signed note, shared by the signer, the parser and the keys. */

/** "— ": em dash U+2014 and a space, the start of every signature line. */
export const SIGNATURE_PREFIX = '\u2014 ';

/** Key names are non-empty, with no Unicode space and no '+' (C2SP signed-note, "Format"). */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\p{Zs}]/u.test(name) && !hasControl(name);
}

/** Notes carry no ASCII control character but the newline. */
export function hasControl(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
  return /[\u0000-\u0009\u000b-\u001f]/.test(text);
}
