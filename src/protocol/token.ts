/**
 * Why a token could never be presented, or undefined when it can: it must travel in an
 * `Authorization: Bearer` header (whose parser ends it at the first space) and in a query
 * string, so printable ASCII without spaces (SPEC, "Running"). A server started with any
 * other token would answer every request 401. The token itself is not repeated: a message
 * is no place for a secret.
 */
export function tokenProblem(token: string): string | undefined {
  const why = (reason: string) =>
    `the token (--token, SESSIONLOG_TOKEN) must be printable ASCII without spaces, to be sent as "Authorization: Bearer <token>" and as ?token=: ${reason}`;
  if (token === '') return why('it is empty');
  const bad = /[^\x21-\x7e]/.exec(token);
  if (bad === null) return undefined;
  const char = bad[0].codePointAt(0) ?? 0;
  const name = char === 0x20 ? 'a space' : `U+${char.toString(16).toUpperCase().padStart(4, '0')}`;
  return why(`character ${bad.index + 1} is ${name}`);
}
