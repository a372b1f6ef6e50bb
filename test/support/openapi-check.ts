import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { NDJSON_ITEM, openApiDocument } from '../../src/http/openapi/document.js';

// Every answer a suite gets, checked against the OpenAPI document: its status must be
// documented for the route, its content type among the route's, and its JSON body must match
// the schema. So the document cannot drift from the code without a test failing.

type Json = Record<string, unknown>;
const DOC_ID = 'urn:sessionlog:openapi';

/** A checker of answers against `document` (a test may pass a broken copy: see openapi.test.ts). */
export function openApiChecker(document: Json = openApiDocument()) {
  // The document is a JSON Schema container: answers' schemas are compiled by pointer into it,
  // so `#/components/schemas/…` resolves as it does for any OpenAPI tool. Formats are checked
  // by the patterns zod writes beside them.
  const ajv = new Ajv2020({
    strict: false,
    validateFormats: false,
    allErrors: true,
    inlineRefs: false,
  });
  ajv.addSchema({ ...document, $id: DOC_ID });
  const compiled = new Map<string, ValidateFunction>();
  const validator = (pointer: string[]) => {
    const ref = `${DOC_ID}#/${pointer.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
    let validate = compiled.get(ref);
    if (validate === undefined) {
      validate = ajv.compile({ $ref: ref });
      compiled.set(ref, validate);
    }
    return validate;
  };
  const paths = document.paths as Record<string, Record<string, Json>>;
  const templates = Object.keys(paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
  }));

  /** Throws, saying what differs, when `response` is not what the document says. */
  async function check(method: string, url: string, response: Response): Promise<void> {
    const path = new URL(url, 'http://localhost').pathname;
    const verb = method.toLowerCase();
    const where = `${method} ${path} → ${response.status}`;
    const template = templates.find(({ pattern }) => pattern.test(path))?.template;
    const operation = template === undefined ? undefined : paths[template]?.[verb];
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    if (operation === undefined) {
      // No route: the guard's or the router's refusal, a problem like any other.
      if (response.status < 400) throw new Error(`${where}: a route the document lacks`);
      return checkJson(where, response, ['components', 'schemas', 'Problem']);
    }
    const responses = operation.responses as Record<string, Json>;
    const answer = responses[String(response.status)];
    if (answer === undefined) {
      throw new Error(
        `${where}: status not documented for ${verb.toUpperCase()} ${template} (documented: ${Object.keys(responses).join(', ')})`,
      );
    }
    const content = answer.content as Record<string, Json> | undefined;
    if (verb === 'head' || content === undefined) return;
    const documented = content[mediaType] !== undefined ? mediaType : '*/*';
    if (content[documented] === undefined) {
      throw new Error(
        `${where}: content type ${mediaType} not documented (documented: ${Object.keys(content).join(', ')})`,
      );
    }
    const at = [
      'paths',
      template as string,
      verb,
      'responses',
      String(response.status),
      'content',
      documented,
    ];
    if (/^application\/(problem\+)?json$/.test(mediaType)) {
      return checkJson(where, response, [...at, 'schema']);
    }
    if (mediaType === 'application/x-ndjson') {
      const text = await response.clone().text();
      const validate = validator([...at, NDJSON_ITEM]);
      for (const [index, line] of text.split('\n').entries()) {
        if (line !== '' && !validate(JSON.parse(line))) {
          throw new Error(`${where}: line ${index + 1} ${ajv.errorsText(validate.errors)}`);
        }
      }
    }
    // text/event-stream never ends, text/plain and HTML are described in words: not read.
  }

  async function checkJson(where: string, response: Response, pointer: string[]): Promise<void> {
    const text = await response.clone().text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${where}: the body is not JSON: ${text.slice(0, 200)}`);
    }
    const validate = validator(pointer);
    if (!validate(body)) {
      throw new Error(
        `${where}: the body does not match ${pointer.join('/')}: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`,
      );
    }
  }

  return check;
}

let shared: ReturnType<typeof openApiChecker> | undefined;

/** Checks an answer against the served document. */
export function checkAnswer(method: string, url: string, response: Response): Promise<void> {
  shared ??= openApiChecker();
  return shared(method, url, response);
}

/** `fetch`, with every answer checked against the document (a mismatch rejects). */
export async function checkedFetch(input: string | URL, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  await checkAnswer(init?.method ?? 'GET', String(input), response);
  return response;
}
