import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/http/app.js';
import { createSubscriptionHub } from '../src/http/gateway/subscription-hub.js';
import { openApiDocument } from '../src/http/openapi/document.js';
import { tailSignal } from '../src/http/streams/tail-signal.js';
import { useApp } from './support/http-app.js';
import { openApiChecker } from './support/openapi-check.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests walk and break the document by hand
type Json = Record<string, any>;

// Served by the metrics engineer's branch and by the WebSocket upgrade, not by the Hono app.
const OUTSIDE_THE_APP = ['get /metrics'];

describe('GET /api/openapi.json', () => {
  const openApp = useApp();

  it('serves an OpenAPI 3.1 document that an independent validator accepts', async () => {
    const { request } = openApp();
    const response = await request('/api/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await response.json()) as Json;
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
  });

  it('needs the token when one is set, like the rest of /api', async () => {
    const { request } = openApp({
      policy: { allowedOrigins: [], boundHost: '127.0.0.1', token: 'secret-token' },
    });
    expect((await request('/api/openapi.json')).status).toBe(401);
    const response = await request('/api/openapi.json', {
      headers: { authorization: 'Bearer secret-token' },
    });
    expect(response.status).toBe(200);
  });

  it('describes every route the app serves, and no route it does not', async () => {
    const { log } = openApp();
    const hub = await createSubscriptionHub({ store: log.store });
    try {
      const app = createApp({
        log,
        policy: { allowedOrigins: [], boundHost: '127.0.0.1' },
        roots: [],
        createRate: 0,
        eventStream: { hub },
        streams: { tail: tailSignal() },
        checkpoints: {
          logId: log.store.logId,
          tree: log.tree,
          signer: undefined,
        },
      });
      const served = new Set<string>();
      for (const { method, path } of app.routes) {
        if (path.endsWith('*') && path !== '/assets/*') continue; // middleware
        const template = path.replace(/:(\w+)/g, '{$1}').replace('/assets/*', '/assets/{path}');
        // A route for every method is how the streams refuse writes: the document names each.
        const methods = method === 'ALL' ? ['post', 'put', 'patch', 'delete'] : [method];
        for (const m of methods) served.add(`${m.toLowerCase()} ${template}`);
      }
      // Hono answers HEAD with the GET route; the document names HEAD where it means something.
      const documented = new Set(
        Object.entries(openApiDocument().paths as Json).flatMap(([path, operations]) =>
          Object.keys(operations)
            .filter((method) => method !== 'head')
            .map((method) => `${method} ${path}`),
        ),
      );
      expect([...served].filter((route) => !documented.has(route))).toEqual([]);
      expect(
        [...documented].filter((route) => !served.has(route) && !OUTSIDE_THE_APP.includes(route)),
      ).toEqual([]);
    } finally {
      hub.close();
    }
  });

  it('lists every problem type the server answers', () => {
    const problem = (openApiDocument().components as Json).schemas.Problem;
    expect(problem.properties.type.enum).toContain('urn:sessionlog:problem:version-mismatch');
    expect(problem.properties.type.enum).toContain('urn:sessionlog:problem:method-not-allowed');
  });
});

describe('the answer check the HTTP suites run', () => {
  const openApp = useApp();

  /** The document with `change` applied to a copy: what a drift between code and document is. */
  const broken = (change: (document: Json) => void) => {
    const document = structuredClone(openApiDocument()) as Json;
    change(document);
    return openApiChecker(document);
  };

  it('refuses an answer with a field the document lacks', async () => {
    const { request, start } = openApp();
    const id = await start({ name: 'n' });
    const url = `/api/sessions/${id}`;
    const check = broken(({ components }) => {
      delete components.schemas.Session.properties.fileChanges;
      components.schemas.Session.required = components.schemas.Session.required.filter(
        (field: string) => field !== 'fileChanges',
      );
    });
    await expect(check('GET', url, await request(url))).rejects.toThrow(
      /must NOT have additional properties/,
    );
  });

  it('refuses an answer that lacks a field the document requires', async () => {
    const { request, start } = openApp();
    const id = await start();
    const url = `/api/sessions/${id}`;
    const check = broken(({ components }) => {
      components.schemas.SessionAnswer.required.push('etag');
    });
    await expect(check('GET', url, await request(url))).rejects.toThrow(
      /must have required property 'etag'/,
    );
  });

  it('refuses a status or a content type the route does not document', async () => {
    const { request, start } = openApp();
    const id = await start();
    const url = `/api/sessions/${id}`;
    const noGone = broken(({ paths }) => {
      delete paths['/api/sessions/{id}'].get.responses['410'];
    });
    await request(url, { method: 'DELETE' });
    await expect(noGone('GET', url, await request(url))).rejects.toThrow(/status not documented/);
    const noNdjson = broken(({ paths }) => {
      delete paths['/api/events'].get.responses['200'].content['application/x-ndjson'];
    });
    const ndjson = await request('/api/events', { headers: { accept: 'application/x-ndjson' } });
    await expect(noNdjson('GET', '/api/events', ndjson)).rejects.toThrow(
      /content type application\/x-ndjson not documented/,
    );
  });

  it('checks each line of an NDJSON export', async () => {
    const { request, start } = openApp();
    await start();
    const check = broken(({ components }) => {
      components.schemas.Envelope.oneOf[0].properties.hash.pattern = '^[0-9A-F]{64}$';
    });
    const ndjson = await request('/api/events', { headers: { accept: 'application/x-ndjson' } });
    await expect(check('GET', '/api/events', ndjson)).rejects.toThrow(/line 1/);
  });
});
