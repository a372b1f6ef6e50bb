/** Where the WebSocket gateway listens (SPEC, "WebSocket gateway"). */
export const WEBSOCKET_PATH = '/ws';
/** Where the same subscription is served as Server-Sent Events (SPEC, "HTTP API"). */
export const EVENT_STREAM_PATH = '/api/events/stream';

/** The two ways to subscribe: the same parameters, the same frames, two wires. */
export type Transport = 'websocket' | 'event-stream';

/** What a client asks the gateway for (SPEC, "WebSocket gateway"). */
export interface SubscriptionParams {
  /** The last position the client has (absent: the head, only new events). */
  after?: number | undefined;
  /** The log id the client last saw: another log's answers `reset`. */
  logId?: string | undefined;
  streams?: readonly string[] | undefined;
  types?: readonly string[] | undefined;
  /**
   * Put in the URL when given. A browser's WebSocket can send no header, so it must; a client
   * that can send `Authorization: Bearer` should, and leave it out here.
   */
  token?: string | undefined;
}

/**
 * The subscription URL of the server at `origin` (`http://…`; for a WebSocket, `ws://…`
 * is taken too): `/ws?after=P&logId=L&streams=a,b&types=T1,T2&token=T`, or the same query
 * on `/api/events/stream`.
 */
export function subscriptionUrl(
  origin: string,
  params: SubscriptionParams,
  transport: Transport,
): URL {
  const url =
    transport === 'websocket'
      ? new URL(WEBSOCKET_PATH, origin.replace(/^http/, 'ws'))
      : new URL(EVENT_STREAM_PATH, origin);
  const { after, logId, streams, types, token } = params;
  if (after !== undefined) url.searchParams.set('after', String(after));
  if (logId !== undefined) url.searchParams.set('logId', logId);
  if (streams !== undefined) url.searchParams.set('streams', streams.join(','));
  if (types !== undefined) url.searchParams.set('types', types.join(','));
  if (token !== undefined) url.searchParams.set('token', token);
  return url;
}
