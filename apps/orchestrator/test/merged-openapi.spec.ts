import * as http from 'http';
import type { AddressInfo } from 'net';
import type { OpenAPIObject } from '@nestjs/swagger';
import { mergeOpenApi, RegistryOpenApi } from '../src/proxy/merged-openapi';

const ok = { '200': { description: 'ok', content: { 'application/json': { schema: {} } } } };

function registryDocument(title: string): OpenAPIObject {
  return {
    openapi: '3.0.0',
    info: { title, version: '1', description: 'The registry' },
    paths: {
      '/health/live': { get: { responses: ok } },
      '/api/v1/registry/components': {
        post: {
          requestBody: {
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
          },
          responses: {
            ...ok,
            '400': {
              description: 'bad',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/ProblemDetailsDoc' } } },
            },
          },
        },
      },
    },
    components: {
      schemas: {
        Thing: { type: 'object', properties: { name: { type: 'string' } } },
        ProblemDetailsDoc: { type: 'object', properties: { requiredRole: { type: 'string' } } },
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    tags: [{ name: 'components' }],
  };
}

function orchestratorDocument(): OpenAPIObject {
  return {
    openapi: '3.0.0',
    info: { title: 'Upshift orchestrator', version: '1.0', description: 'Upgrades' },
    paths: {
      '/health/live': { get: { responses: ok } },
      '/api/v1/registry/upgrades/{executionId}/start': { post: { responses: ok } },
    },
    components: {
      schemas: {
        Thing: { type: 'object', properties: { other: { type: 'integer' } } },
        ProblemDetails: { type: 'object' },
      },
    },
  };
}

describe('RegistryOpenApi: the cached registry document', () => {
  let server: http.Server;
  let url = '';
  let hits = 0;
  let answer: { status: number; body: string } = { status: 200, body: '' };
  let clock = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits += 1;
      expect(req.url).toBe('/api/docs-json');
      expect(req.headers.authorization).toBeUndefined();
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fetches once, serves the copy while fresh, keeps it through a failure and retries until it succeeds', async () => {
    const errors: string[] = [];
    const docs = new RegistryOpenApi(url, {
      maxAgeMs: 1000,
      now: () => clock,
      onError: (e) => errors.push(e.message),
    });
    answer = { status: 200, body: JSON.stringify(registryDocument('v1')) };
    hits = 0;
    await Promise.all([docs.refresh(), docs.refresh(), docs.refresh()]);
    expect(hits).toBe(1);
    expect(docs.document?.info.title).toBe('v1');

    answer = { status: 200, body: JSON.stringify(registryDocument('v2')) };
    clock = 999;
    await docs.refresh();
    expect(hits).toBe(1);
    expect(docs.document?.info.title).toBe('v1');

    clock = 1000;
    await docs.refresh();
    expect(hits).toBe(2);
    expect(docs.document?.info.title).toBe('v2');

    answer = { status: 503, body: '{}' };
    clock = 2500;
    await docs.refresh();
    expect(docs.document?.info.title).toBe('v2');
    expect(docs.error).toBe('the registry answered 503');
    // A failure is retried on the next request, fresh or not.
    await docs.refresh();
    expect(hits).toBe(4);
    expect(errors).toHaveLength(2);

    answer = { status: 200, body: JSON.stringify(registryDocument('v3')) };
    await docs.refresh();
    expect(docs.error).toBeNull();
    expect(docs.document?.info.title).toBe('v3');
  });

  it('has no document and says why when the registry never answered', async () => {
    const docs = new RegistryOpenApi('http://127.0.0.1:1', { timeoutMs: 500 });
    await docs.refresh();
    expect(docs.document).toBeNull();
    expect(docs.error).toMatch(/ECONNREFUSED/);
  });
});

describe('mergeOpenApi', () => {
  it("adds the registry's API paths (not its health paths) and keeps the orchestrator's", () => {
    const merged = mergeOpenApi(orchestratorDocument(), registryDocument('registry'), null);
    expect(Object.keys(merged.paths).sort()).toEqual([
      '/api/v1/registry/components',
      '/api/v1/registry/upgrades/{executionId}/start',
      '/health/live',
    ]);
    expect(merged.paths['/health/live']).toEqual({ get: { responses: ok, security: [] } });
    expect(merged.tags).toEqual([{ name: 'components' }]);
    expect(merged.components?.securitySchemes).toHaveProperty('bearer');
  });

  it('renames a registry schema whose name the orchestrator uses for another shape, with its references', () => {
    const merged = mergeOpenApi(orchestratorDocument(), registryDocument('registry'), null);
    const schemas = merged.components?.schemas ?? {};
    expect(schemas['Thing']).toEqual(orchestratorDocument().components?.schemas?.['Thing']);
    expect(schemas['RegistryThing']).toEqual(registryDocument('r').components?.schemas?.['Thing']);
    expect(JSON.stringify(merged.paths['/api/v1/registry/components'])).toContain(
      '#/components/schemas/RegistryThing',
    );
    expect(schemas).toHaveProperty('ProblemDetailsDoc');
  });

  it('documents every 4xx as problem+json, 401 and 403 on every API operation, 415 where a body is taken', () => {
    const merged = mergeOpenApi(orchestratorDocument(), registryDocument('registry'), null);
    const create = merged.paths['/api/v1/registry/components']?.post;
    const start = merged.paths['/api/v1/registry/upgrades/{executionId}/start']?.post;
    expect(Object.keys(create?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '415']);
    expect(Object.keys(start?.responses ?? {}).sort()).toEqual(['200', '401', '403']);
    for (const operation of [create, start]) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        const content = (response as { content?: Record<string, unknown> }).content ?? {};
        if (status.startsWith('4')) expect(Object.keys(content)).toEqual(['application/problem+json']);
      }
    }
    // The registry's own problem schema stays on its 400.
    expect(JSON.stringify(create?.responses['400'])).toContain('ProblemDetailsDoc');
  });

  it("serves the orchestrator's paths alone, saying why, when the registry's document is not available", () => {
    const merged = mergeOpenApi(orchestratorDocument(), null, 'connect ECONNREFUSED');
    expect(Object.keys(merged.paths)).toEqual([
      '/health/live',
      '/api/v1/registry/upgrades/{executionId}/start',
    ]);
    expect(merged.info.description).toContain('could not be fetched (connect ECONNREFUSED)');
  });

  it('leaves the document it was given unchanged (Swagger keeps serving it)', () => {
    const own = orchestratorDocument();
    mergeOpenApi(own, registryDocument('registry'), null);
    expect(own).toEqual(orchestratorDocument());
  });
});
