import { decodeBase64 } from '../checkpoints/base64.js';
import { request } from './events-from-url.js';

/** A server's checkpoint routes (SPEC "Checkpoints and proofs"), as the auditor reads them. */
export interface CheckpointSource {
  /** Where the answers come from, for messages. */
  readonly origin: string;
  checkpoint(): Promise<string>;
  key(): Promise<string>;
  consistency(from: number, to: number): Promise<Buffer[]>;
}

/** The answer was not what SPEC says the route answers: a failed check, not a lost network. */
export class UnexpectedAnswer extends Error {
  override readonly name = 'UnexpectedAnswer';
}

export function httpCheckpointSource(
  origin: string,
  token: string | undefined,
  signal?: AbortSignal,
): CheckpointSource {
  const text = async (path: string) =>
    (await request(new URL(path, origin), token, 'text/plain', signal)).text();
  return {
    origin,
    checkpoint: () => text('/api/checkpoint'),
    key: () => text('/api/checkpoint/key'),
    async consistency(from, to) {
      const path = `/api/proof/consistency?from=${from}&to=${to}`;
      const response = await request(new URL(path, origin), token, 'application/json', signal);
      let body: { from?: unknown; to?: unknown; proof?: unknown };
      try {
        body = (await response.json()) as typeof body;
      } catch {
        throw new UnexpectedAnswer(`${path} did not answer JSON`);
      }
      // The proof is checked against the roots later; here only that it is the one asked for.
      if (body.from !== from || body.to !== to || !Array.isArray(body.proof)) {
        throw new UnexpectedAnswer(`${path} answered another proof than the one asked for`);
      }
      return body.proof.map((hash, i) => {
        const bytes = typeof hash === 'string' ? decodeBase64(hash) : undefined;
        if (bytes === undefined) {
          throw new UnexpectedAnswer(`${path}: hash ${i} of the proof is not standard base64`);
        }
        return bytes;
      });
    },
  };
}
