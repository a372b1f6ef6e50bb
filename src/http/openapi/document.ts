import { z } from 'zod';
import { DeleteBody, PatchBody, StartBody } from '../session-bodies.js';
import * as answers from './answers.js';
import { type Content, type Operation, type Parameter, ROUTES } from './route-table.js';

/** The schemas named in `components.schemas`, referenced by `$ref` wherever they are used. */
const COMPONENTS: Record<string, z.ZodType> = {
  StartBody,
  PatchBody,
  DeleteBody,
  ...answers,
};

const REF = '#/components/schemas/';

/** Where an OpenAPI media type keeps the schema of each line of an NDJSON body (3.1 has none). */
export const NDJSON_ITEM = 'x-ndjson-item-schema';

type Json = Record<string, unknown>;

/**
 * The OpenAPI 3.1 document of every route, built from the route table and zod's JSON Schema
 * output of the same schemas the routes validate with.
 */
export function openApiDocument(): Json {
  const registry = z.registry<{ id: string }>();
  const ids = new Map<z.ZodType, string>();
  for (const [id, schema] of Object.entries(COMPONENTS)) {
    registry.add(schema, { id });
    ids.set(schema, id);
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    uri: (id) => `${REF}${id}`,
    // A request body is what the client sends; answers have no transforms, so both agree.
    io: 'input',
  }) as { schemas: Record<string, Json> };
  for (const schema of Object.values(schemas)) {
    // Each is a component of this document, not a document of its own.
    delete schema.$schema;
    delete schema.$id;
  }
  const schemaOf = (schema: z.ZodType): Json => {
    const id = ids.get(schema);
    if (id !== undefined) return { $ref: `${REF}${id}` };
    const { $schema: _, ...inline } = z.toJSONSchema(schema, { io: 'input' }) as Json;
    return inline;
  };

  const paths: Record<string, Record<string, Json>> = {};
  for (const route of ROUTES) {
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, Json>)[route.method] = operation(route, schemaOf);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'sessionlog',
      // The API's version (SPEC's events v1), not the package's.
      version: '1',
      description:
        'An event-sourced session service. With a token, every route under /api, /streams and /metrics needs `Authorization: Bearer <token>`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: [...new Set(ROUTES.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'needed only when the server was started with --token',
        },
      },
    },
  };
}

function operation(route: Operation, schemaOf: (schema: z.ZodType) => Json): Json {
  const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const parameters = [
    ...pathParams,
    ...Object.entries(route.query ?? {}).map(([name, p]) => parameter(name, 'query', p, schemaOf)),
    ...Object.entries(route.headers ?? {}).map(([name, p]) =>
      parameter(name, 'header', p, schemaOf),
    ),
  ];
  const responses: Record<string, Json> = {};
  for (const [status, answer] of Object.entries(route.answers)) {
    responses[status] = {
      description: answer.description,
      ...(answer.headers === undefined
        ? {}
        : {
            headers: Object.fromEntries(
              Object.entries(answer.headers).map(([name, description]) => [
                name,
                { description, schema: { type: 'string' } },
              ]),
            ),
          }),
      ...(answer.content === undefined
        ? {}
        : {
            content: Object.fromEntries(
              Object.entries(answer.content).map(([type, content]) => [
                type,
                mediaType(content, schemaOf),
              ]),
            ),
          }),
    };
  }
  for (const status of problemStatuses(route)) {
    responses[String(status)] = {
      description: 'problem details: see the `type` values',
      content: { 'application/problem+json': { schema: schemaOf(answers.Problem) } },
    };
  }
  const open = route.path === '/' || route.path.startsWith('/assets/');
  return {
    operationId: `${route.method}${route.path
      .replace(/\{(\w+)\}/g, 'By_$1')
      .split(/[^A-Za-z0-9_]+/)
      .map((word) => (word === '' ? '' : word[0]?.toUpperCase() + word.slice(1)))
      .join('')}`,
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    tags: [route.tag],
    ...(open ? { security: [] } : {}),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: route.body.required,
            content: { 'application/json': { schema: schemaOf(route.body.schema) } },
          },
        }),
    responses,
  };
}

/**
 * A route's own problems, and those any route may answer: 403 for a foreign Host (and Origin,
 * on writes and reads of the log), 401 behind the token, 503 when the store is unreachable,
 * 500 for a bug.
 */
export function problemStatuses(route: Operation): number[] {
  const guarded = /^\/(api|streams|metrics)(\/|$)/.test(route.path);
  const statuses = new Set([
    ...route.problems,
    403,
    500,
    ...(guarded ? [401] : []),
    ...(route.path.startsWith('/api/') || route.path.startsWith('/streams/') ? [503] : []),
  ]);
  return [...statuses].sort((a, b) => a - b);
}

function parameter(
  name: string,
  where: 'query' | 'header',
  { schema, description, required = false }: Parameter,
  schemaOf: (schema: z.ZodType) => Json,
): Json {
  return { name, in: where, required, description, schema: schemaOf(schema) };
}

function mediaType(content: Content, schemaOf: (schema: z.ZodType) => Json): Json {
  if ('schema' in content) return { schema: schemaOf(content.schema) };
  if ('ndjson' in content) {
    return {
      schema: { type: 'string', description: 'one JSON value a line' },
      [NDJSON_ITEM]: schemaOf(content.ndjson),
    };
  }
  if ('text' in content) return { schema: { type: 'string', description: content.text } };
  return {};
}
