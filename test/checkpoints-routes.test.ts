import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { checkpointOrigin, openCheckpoint } from '../src/checkpoints/checkpoint.js';
import { eventLeafHash } from '../src/checkpoints/merkle-hash.js';
import { verifyConsistency, verifyInclusion } from '../src/checkpoints/merkle-verify.js';
import { parseVerifierKey } from '../src/checkpoints/verifier-key.js';
import type { RunningServer } from '../src/server.js';
import { describeEachBackend } from './support/backends.js';
import { checkedFetch as fetch } from './support/openapi-check.js';
import { appendMany, useServers } from './support/server.js';
import { useTempDir } from './support/temp-dir.js';
import { freshTree, seeded } from './support/tree.js';

const TOKEN = 'checkpoint-test-token-0123456789';

describeEachBackend('checkpoints and proofs over HTTP', (db, backend) => {
  const start = useServers();
  const dir = useTempDir();
  const keyFile = () => join(dir(), 'node.signing-key');
  /** PostgreSQL nodes get the shared key file unless `keyless`; SQLite uses its default. */
  const serve = ({ keyless = false } = {}) =>
    start({
      db: db(),
      token: TOKEN,
      ...(backend.name === 'PostgreSQL' && !keyless ? { signingKey: keyFile() } : {}),
    });
  const get = (server: RunningServer, path: string, token: string | null = TOKEN) =>
    fetch(`${server.url}${path}`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
  const json = async (server: RunningServer, path: string) => {
    const response = await get(server, path);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as { proof: string[] } & Record<string, number>;
  };
  const bytes = (proof: string[]) => proof.map((hash) => Buffer.from(hash, 'base64'));

  it('signs a checkpoint of the head that verifies with the published key, over the events root', async () => {
    const server = await serve();
    await appendMany(server, 77);
    const key = await (await get(server, '/api/checkpoint/key')).text();
    const response = await get(server, '/api/checkpoint');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const { logId } = server.log.store;
    const checkpoint = openCheckpoint(
      await response.text(),
      parseVerifierKey(key),
      checkpointOrigin(logId),
    );
    const fresh = await freshTree(server.log.store);
    expect(checkpoint.size).toBe(await server.log.store.head());
    expect(checkpoint.root.toString('hex')).toBe(fresh.root().toString('hex'));
  });

  it('answers inclusion and consistency proofs that verify against roots computed independently', async () => {
    const server = await serve();
    await appendMany(server, 123);
    const fresh = await freshTree(server.log.store);
    const events = await server.log.store.read({});
    const head = fresh.size;
    const random = seeded(1616);
    for (let i = 0; i < 40; i++) {
      const size = 1 + random(head);
      const position = 1 + random(size);
      const answer = await json(server, `/api/proof/inclusion?position=${position}&size=${size}`);
      expect(answer).toMatchObject({ position, size });
      verifyInclusion({
        index: position - 1,
        size,
        leafHash: eventLeafHash(events[position - 1]?.hash as string),
        proof: bytes(answer.proof),
        root: fresh.root(size),
      });
      const from = 1 + random(size);
      const consistency = await json(server, `/api/proof/consistency?from=${from}&to=${size}`);
      expect(consistency).toMatchObject({ from, to: size });
      verifyConsistency({
        from,
        to: size,
        fromRoot: fresh.root(from),
        toRoot: fresh.root(size),
        proof: bytes(consistency.proof),
      });
    }
    // size and to default to the head; M = N is the empty proof.
    expect(await json(server, '/api/proof/inclusion?position=1')).toMatchObject({ size: head });
    expect(await json(server, `/api/proof/consistency?from=${head}`)).toEqual({
      from: head,
      to: head,
      proof: [],
    });
  });

  it('refuses out-of-range and malformed parameters with 400 naming the parameter', async () => {
    const server = await serve();
    await appendMany(server, 10);
    const cases: [string, string][] = [
      ['/api/proof/inclusion', 'position'],
      ['/api/proof/inclusion?position=0', 'position'],
      ['/api/proof/inclusion?position=x', 'position'],
      ['/api/proof/inclusion?position=5&size=4', 'position'],
      ['/api/proof/inclusion?position=1&size=11', 'size'],
      ['/api/proof/inclusion?position=11', 'position'],
      ['/api/proof/inclusion?position=1&size=0', 'size'],
      ['/api/proof/consistency', 'from'],
      ['/api/proof/consistency?from=0', 'from'],
      ['/api/proof/consistency?from=5&to=4', 'from'],
      ['/api/proof/consistency?from=1&to=11', 'to'],
      ['/api/proof/consistency?from=1&to=-1', 'to'],
    ];
    for (const [path, parameter] of cases) {
      const response = await get(server, path);
      expect(response.status, path).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const body = (await response.json()) as { errors: { path: string }[] };
      expect(body.errors[0]?.path, path).toBe(parameter);
    }
  });

  it('needs the token like every /api route', async () => {
    const server = await serve();
    for (const path of [
      '/api/checkpoint',
      '/api/checkpoint/key',
      '/api/proof/inclusion?position=1',
      '/api/proof/consistency?from=1',
    ]) {
      expect((await get(server, path, null)).status, path).toBe(401);
    }
  });

  if (backend.name === 'SQLite') {
    it('makes the key beside the log file (mode 0600) and signs with it again after a restart', async () => {
      let server = await serve();
      const key = await (await get(server, '/api/checkpoint/key')).text();
      expect(statSync(`${db()}.signing-key`).mode & 0o777).toBe(0o600);
      await server.close();
      server = await serve();
      expect(await (await get(server, '/api/checkpoint/key')).text()).toBe(key);
      openCheckpoint(await (await get(server, '/api/checkpoint')).text(), parseVerifierKey(key));
    });
  } else {
    it('answers 503 on the checkpoint routes of a node without a key, and serves the rest', async () => {
      const server = await serve({ keyless: true });
      await appendMany(server, 5);
      for (const path of ['/api/checkpoint', '/api/checkpoint/key']) {
        const response = await get(server, path);
        expect(response.status, path).toBe(503);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(((await response.json()) as { detail: string }).detail).toMatch(
          /no checkpoint signing key: start it with --signing-key FILE/,
        );
      }
      expect((await get(server, '/api/proof/inclusion?position=2')).status).toBe(200);
      expect((await get(server, '/api/health')).status).toBe(200);
    });

    it('gives checkpoints that verify with one key from two nodes sharing the key file', async () => {
      const one = await serve();
      const two = await serve();
      // Interleaved: each node's kept edge goes stale when the other appends.
      await appendMany(one, 20);
      await appendMany(two, 20, 'session-two');
      await appendMany(one, 7);
      const key = parseVerifierKey(await (await get(one, '/api/checkpoint/key')).text());
      expect(await (await get(two, '/api/checkpoint/key')).text()).toBe(
        await (await get(one, '/api/checkpoint/key')).text(),
      );
      const fresh = await freshTree(one.log.store);
      for (const node of [one, two]) {
        const checkpoint = openCheckpoint(await (await get(node, '/api/checkpoint')).text(), key);
        expect(checkpoint.size).toBe(fresh.size);
        expect(checkpoint.root.equals(fresh.root())).toBe(true);
      }
    });
  }
});
