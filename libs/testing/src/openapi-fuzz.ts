import fc from 'fast-check';

/**
 * Requests generated from a service's own OpenAPI document, valid and invalid, with and without
 * tokens: what the fuzz suites send to prove that nothing a client can send makes a 5xx, and that
 * every refusal is problem+json.
 */

type Schema = Record<string, unknown>;

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, Schema> };
}

interface OperationObject {
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

export interface FuzzOperation {
  method: string;
  /** OpenAPI path with `{params}`. */
  path: string;
  pathParams: string[];
  query: { name: string; schema: Schema }[];
  body: Schema | null;
}

export interface FuzzRequest {
  method: string;
  /** Path and query, ready to append to the base URL. */
  url: string;
  body: string | undefined;
  contentType: string | undefined;
  token: string | undefined;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function fuzzOperations(doc: OpenApiDocument): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const parameters = operation.parameters ?? [];
      const body = operation.requestBody?.content?.['application/json']?.schema ?? null;
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body,
      });
    }
  }
  return operations;
}

/** Strings a client may send where an id or a name is expected, hostile ones included. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.uuid(),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '%00',
    "' OR 1=1 --",
    '<script>',
    '\u0000',
    '🚀',
    'a'.repeat(300),
    '-1',
    '1e309',
  ),
);

/** Anything JSON can hold, for fields of the wrong type. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { maxDepth: 2 },
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  nastyString,
  fc.array(fc.oneof(fc.integer(), nastyString), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), nastyString), { maxKeys: 3 }),
);

function resolve(doc: OpenApiDocument, schema: Schema): Schema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string') return schema;
  const name = ref.split('/').pop() ?? '';
  return resolve(doc, doc.components?.schemas?.[name] ?? {});
}

/** Values that follow the schema (most of the time), so that requests get past validation too. */
function valueFor(
  doc: OpenApiDocument,
  raw: Schema,
  fixtures: readonly string[],
  depth = 0,
): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw);
  const choices = (schema['oneOf'] ?? schema['anyOf']) as Schema[] | undefined;
  if (choices && choices.length > 0)
    return fc.oneof(...choices.map((c) => valueFor(doc, c, fixtures, depth + 1)));
  const allOf = schema['allOf'] as Schema[] | undefined;
  if (allOf && allOf.length > 0)
    return valueFor(doc, Object.assign({}, ...allOf.map((s) => resolve(doc, s))), fixtures, depth);
  if (Array.isArray(schema['enum'])) return fc.constantFrom(...(schema['enum'] as unknown[]));
  switch (schema['type']) {
    case 'integer':
      return fc.integer({
        min: typeof schema['minimum'] === 'number' ? schema['minimum'] : -5,
        max: typeof schema['maximum'] === 'number' ? Math.min(schema['maximum'], 10_000) : 10_000,
      });
    case 'number':
      return fc.double({ min: -5, max: 10_000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return depth > 3
        ? fc.constant([])
        : fc.array(valueFor(doc, (schema['items'] as Schema) ?? {}, fixtures, depth + 1), { maxLength: 3 });
    case 'object':
    case undefined: {
      const properties = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
      if (depth > 3 || Object.keys(properties).length === 0) {
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), nastyString), {
          maxKeys: 2,
        });
      }
      const required = new Set((schema['required'] as string[] | undefined) ?? []);
      const entries = Object.fromEntries(
        Object.entries(properties).map(([key, property]) => [
          key,
          valueFor(doc, property, fixtures, depth + 1),
        ]),
      );
      return fc.record(entries, { requiredKeys: [...required].filter((key) => key in entries) });
    }
    default: {
      const format = schema['format'];
      const pattern = typeof schema['pattern'] === 'string' ? schema['pattern'] : null;
      return fc.oneof(
        { weight: 3, arbitrary: fixtures.length > 0 ? fc.constantFrom(...fixtures) : fc.uuid() },
        { weight: format === 'uuid' ? 3 : 1, arbitrary: fc.uuid() },
        {
          weight: 2,
          arbitrary: fc.constantFrom('1.0.0', '2.1.0', '2.2.2', 'stable', 'ROLLING', 'CANARY', '550e8400'),
        },
        { weight: pattern === null ? 2 : 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
        { weight: 1, arbitrary: nastyString },
      );
    }
  }
}

/** A body: a schema-shaped value, then maybe broken (a field dropped, a wrong type, an extra field, not JSON). */
function bodyFor(doc: OpenApiDocument, schema: Schema, fixtures: readonly string[]): fc.Arbitrary<string> {
  const shaped = valueFor(doc, schema, fixtures);
  return fc.oneof(
    { weight: 5, arbitrary: shaped.map((value) => JSON.stringify(value)) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(shaped, fc.string({ maxLength: 12 }), anyJson)
        .map(([value, key, junk]) =>
          JSON.stringify(
            value !== null && typeof value === 'object' && !Array.isArray(value)
              ? { ...value, [key]: junk }
              : junk,
          ),
        ),
    },
    { weight: 1, arbitrary: anyJson.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.constantFrom('{', '{"a":', 'null', '[]', '"text"', 'not json at all', '') },
  );
}

/**
 * One generated request for `operations`. `fixtures` are real ids (so some requests reach real rows);
 * `tokens` are sent as bearer tokens, `undefined` meaning none.
 */
export function fuzzRequest(
  doc: OpenApiDocument,
  operations: readonly FuzzOperation[],
  fixtures: readonly string[],
  tokens: readonly (string | undefined)[],
): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...operations).chain((operation) => {
    const params = fc.tuple(
      ...operation.pathParams.map(() => fc.oneof(fc.constantFrom(...fixtures), nastyString)),
    );
    const query = fc.tuple(
      ...operation.query.map((q) =>
        fc.option(fc.oneof(valueFor(doc, q.schema, fixtures), nastyString), { nil: undefined }),
      ),
    );
    const body =
      operation.body === null
        ? fc.constant(undefined)
        : fc.option(bodyFor(doc, operation.body, fixtures), { nil: undefined, freq: 8 });
    const contentType = fc.constantFrom(
      'application/json',
      'application/json',
      'application/json',
      'text/plain',
      undefined,
    );
    return fc
      .tuple(params, query, body, contentType, fc.constantFrom(...tokens))
      .map(([values, queryValues, payload, type, token]) => {
        let url = operation.path;
        operation.pathParams.forEach((name, index) => {
          url = url.replace(`{${name}}`, encodeURIComponent(String(values[index] ?? '')));
        });
        const search = new URLSearchParams();
        operation.query.forEach((q, index) => {
          const value = queryValues[index];
          if (value !== undefined)
            search.set(q.name, typeof value === 'string' ? value : JSON.stringify(value));
        });
        const queryString = search.toString();
        return {
          method: operation.method,
          url: queryString === '' ? url : `${url}?${queryString}`,
          body: payload,
          contentType: payload === undefined ? undefined : type,
          token,
        };
      });
  });
}

export interface FuzzOutcome {
  status: number;
  contentType: string;
  body: string;
}

export async function sendFuzzRequest(baseUrl: string, request: FuzzRequest): Promise<FuzzOutcome> {
  const headers: Record<string, string> = {};
  if (request.token !== undefined) headers['authorization'] = `Bearer ${request.token}`;
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  const response = await fetch(`${baseUrl}${request.url}`, {
    method: request.method,
    headers,
    body: request.body,
  });
  const contentType = response.headers.get('content-type') ?? '';
  // An event stream may never end (a tenant's does not): its status and type are the answer.
  if (contentType.startsWith('text/event-stream')) {
    await response.body?.cancel();
    return { status: response.status, contentType, body: '' };
  }
  return { status: response.status, contentType, body: await response.text() };
}

/** Why an outcome breaks the promise (a 5xx, or a 4xx that is not problem+json), or null. */
export function fuzzViolation(outcome: FuzzOutcome): string | null {
  if (outcome.status >= 500) return `answered ${outcome.status}: ${outcome.body.slice(0, 300)}`;
  if (outcome.status >= 400) {
    if (!outcome.contentType.startsWith('application/problem+json')) {
      return `answered ${outcome.status} as ${outcome.contentType || 'no content type'}: ${outcome.body.slice(0, 200)}`;
    }
    const problem = JSON.parse(outcome.body) as Record<string, unknown>;
    if (
      typeof problem['type'] !== 'string' ||
      typeof problem['title'] !== 'string' ||
      problem['status'] !== outcome.status
    ) {
      return `answered ${outcome.status} with a problem missing type, title or status: ${outcome.body.slice(0, 200)}`;
    }
  }
  return null;
}

export interface FuzzCampaign {
  /** The service's base URL; its OpenAPI document is read from `/api/docs-json`. */
  baseUrl: string;
  /** Real ids, so that some requests reach real rows. */
  fixtures: readonly string[];
  /** Bearer tokens to send; `undefined` sends none. */
  tokens: readonly (string | undefined)[];
  /** Leaves operations out (e.g. the probes). */
  include?: (operation: FuzzOperation) => boolean;
  numRuns: number;
  seed: number;
}

/**
 * Sends `numRuns` generated requests and fails on the first violation (fast-check shrinks it to the
 * smallest request that still breaks the promise). Answers how many operations the document had and
 * how many requests got each status, so a suite can check the generator reached past the gate.
 */
export async function runFuzzCampaign(
  campaign: FuzzCampaign,
): Promise<{ operations: number; count: (predicate: (status: number) => boolean) => number }> {
  const doc = (await (await fetch(`${campaign.baseUrl}/api/docs-json`)).json()) as OpenApiDocument;
  const operations = fuzzOperations(doc).filter(campaign.include ?? (() => true));
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(fuzzRequest(doc, operations, campaign.fixtures, campaign.tokens), async (request) => {
      const outcome = await sendFuzzRequest(campaign.baseUrl, request);
      statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
      const violation = fuzzViolation(outcome);
      if (violation !== null) throw new Error(`${request.method} ${request.url}: ${violation}`);
    }),
    { numRuns: campaign.numRuns, seed: campaign.seed },
  );
  return {
    operations: operations.length,
    count: (predicate) =>
      [...statuses].filter(([status]) => predicate(status)).reduce((sum, [, n]) => sum + n, 0),
  };
}
