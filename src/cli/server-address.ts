/**
 * The origin of a running server and its token, from `--url` (the URL `serve` prints, which
 * carries `?token=…` when the server has one), `--token`, or SESSIONLOG_TOKEN, in that order
 * of precedence: the flag, then the URL, then the environment.
 */
export function serverAddress(
  url: string,
  token: string | undefined,
): { origin: string; token: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `--url must be a server's URL, such as http://127.0.0.1:3001, not ${JSON.stringify(url)}`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`--url must be an http:// or https:// URL, not ${JSON.stringify(url)}`);
  }
  const fromUrl = parsed.searchParams.get('token') ?? undefined;
  return {
    origin: parsed.origin,
    token: token ?? fromUrl ?? (process.env.SESSIONLOG_TOKEN || undefined),
  };
}
