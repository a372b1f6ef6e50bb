/** What a client asks the gateway for (SPEC, "WebSocket gateway"). */
export interface SubscriptionParams {
  /** The last position the client has (absent: the head, only new events). */
  after?: number | undefined;
  /** The log id the client last saw: another log's answers `reset`. */
  logId?: string | undefined;
  streams?: readonly string[] | undefined;
  types?: readonly string[] | undefined;
  token?: string | undefined;
}

/** The `/ws?after=P&logId=L&streams=a,b&types=T1,T2` URL of the server at `origin` (`http://…`). */
export function subscriptionUrl(origin: string, params: SubscriptionParams): URL {
  const url = new URL('/ws', origin.replace(/^http/, 'ws'));
  const { after, logId, streams, types, token } = params;
  if (after !== undefined) url.searchParams.set('after', String(after));
  if (logId !== undefined) url.searchParams.set('logId', logId);
  if (streams !== undefined) url.searchParams.set('streams', streams.join(','));
  if (types !== undefined) url.searchParams.set('types', types.join(','));
  if (token !== undefined) url.searchParams.set('token', token);
  return url;
}
