import type { FetchLike } from './ports.js';

/** The server refused the token: retrying will not help. */
export class Unauthorized extends Error {
  override readonly name = 'Unauthorized';
}

/** A read the server answered with another status than 200. */
export class ReadFailed extends Error {
  override readonly name = 'ReadFailed';
  constructor(
    readonly path: string,
    readonly status: number,
  ) {
    super(`GET ${path} answered ${status}`);
  }
}

/** How the engine reads the API: a GET answered with JSON, or a typed failure. */
export type ReadJson = <T>(path: string) => Promise<T>;

export function readJson(
  fetch: FetchLike,
  baseUrl: string,
  headers: Record<string, string>,
): ReadJson {
  return async <T>(path: string): Promise<T> => {
    const response = await fetch(new URL(path, baseUrl).toString(), { headers });
    if (response.status === 401) throw new Unauthorized('the server needs its token');
    if (!response.ok) throw new ReadFailed(path, response.status);
    return (await response.json()) as T;
  };
}
