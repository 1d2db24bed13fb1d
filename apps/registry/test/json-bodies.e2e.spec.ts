import { testToken } from '@upshift/testing';
import { createComponent, createVersion, uniqueName } from './support/catalog-builders';
import { API, snapshotRegistryTables, startRegistry } from './support/registry-test-app';
import type { RegistryTestContext } from './support/registry-test-app';

/**
 * Request bodies are JSON or nothing: a body sent as text, as a form or without a content type is
 * refused with 415 before it is parsed (not validated as `{}`, not echoed as unknown fields), and the
 * body-less operations need no content type (docs/api-contract.md, "Requests").
 */
describe('registry request bodies (e2e)', () => {
  let ctx: RegistryTestContext;
  let token = '';

  beforeAll(async () => {
    ctx = await startRegistry('json_bodies');
    token = await testToken();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  const send = (path: string, method: string, headers: Record<string, string>, body?: string | Uint8Array) =>
    fetch(`${ctx.registry.url}${API}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...headers },
      body,
    });

  it('answers 415 problem+json for a body that is not JSON, and writes nothing', async () => {
    const componentId = await createComponent(ctx.http);
    const before = await snapshotRegistryTables(ctx.pg);
    const component = JSON.stringify({ name: uniqueName(), kind: 'service' });
    const answers: [string, Response][] = [
      ['text/plain', await send('/components', 'POST', { 'content-type': 'text/plain' }, component)],
      // A byte body: fetch sends no Content-Type at all.
      ['no content type', await send('/components', 'POST', {}, Buffer.from(component))],
      [
        'a form',
        await send(
          '/components',
          'POST',
          { 'content-type': 'application/x-www-form-urlencoded' },
          'name=x&kind=service',
        ),
      ],
      [
        'text/plain PATCH',
        await send('/tenants/t1/instances', 'PATCH', { 'content-type': 'text/plain' }, '{"updates":[]}'),
      ],
      [
        'multipart version',
        await send(
          `/components/${componentId}/versions`,
          'POST',
          { 'content-type': 'multipart/form-data; boundary=x' },
          '--x--',
        ),
      ],
    ];
    for (const [label, res] of answers) {
      const problem = (await res.json()) as Record<string, unknown>;
      expect([label, res.status, res.headers.get('content-type')]).toEqual([
        label,
        415,
        expect.stringContaining('application/problem+json'),
      ]);
      expect(problem).toMatchObject({
        type: 'urn:upshift:problem:unsupported-media-type',
        status: 415,
        detail: expect.stringContaining('send it with Content-Type: application/json'),
      });
      expect(problem).not.toHaveProperty('errors');
    }
    expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
  });

  it('reads JSON sent with parameters or as a +json type', async () => {
    for (const type of ['application/json; charset=utf-8', 'application/vnd.upshift+json']) {
      const res = await send(
        '/components',
        'POST',
        { 'content-type': type },
        JSON.stringify({ name: uniqueName(), kind: 'service' }),
      );
      expect([type, res.status]).toEqual([type, 201]);
    }
  });

  it('runs a body-less POST without a content type, or with a stray one', async () => {
    const componentId = await createComponent(ctx.http);
    const version = await createVersion(ctx.http, componentId, { version: '1.0.0' });
    const base = `/components/${componentId}/versions/${version.id}`;
    const published = await send(`${base}/publish`, 'POST', {});
    expect(published.status).toBe(200);
    const deprecated = await send(`${base}/deprecate`, 'POST', { 'content-type': 'text/plain' });
    expect(deprecated.status).toBe(200);
    expect(((await deprecated.json()) as { status: string }).status).toBe('deprecated');
  });

  it('serves its OpenAPI document without a token, problems with every extension member', async () => {
    const res = await ctx.anonymous.get('/api/docs-json').expect(200);
    const doc = res.body as {
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.components.schemas['ProblemDetailsDoc']?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'type',
        'title',
        'status',
        'detail',
        'instance',
        'errors',
        'currentStatus',
        'allowedOperations',
        'attemptedOperation',
        'resource',
        'resourceId',
        'field',
        'existingId',
        'keyFingerprints',
        'requiredRole',
      ]),
    );
  });
});
