import request from 'supertest';
import { authHeader } from '@upshift/testing';
import { API, RegistryTestContext, startRegistry } from './support/registry-test-app';

describe('registry rate limit per caller (e2e)', () => {
  let ctx: RegistryTestContext;

  beforeAll(async () => {
    ctx = await startRegistry('rate_limit', { RATE_LIMIT_REQUESTS: 3, RATE_LIMIT_WINDOW_SECONDS: 60 });
  });

  afterAll(async () => {
    await ctx.close();
  });

  it('answers 429 problem+json with Retry-After past the limit, per sub, never for probes', async () => {
    const alice = await authHeader({ sub: 'alice' });
    const bob = await authHeader({ sub: 'bob' });
    for (let i = 0; i < 3; i += 1)
      await request(ctx.registry.url).get(`${API}/components`).set(alice).expect(200);
    const limited = await request(ctx.registry.url).get(`${API}/components`).set(alice).expect(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ type: 'urn:upshift:problem:rate-limited', status: 429 });
    expect(limited.body.detail).toMatch(/Retry-After/);
    // Another caller has its own budget; health probes are never limited.
    await request(ctx.registry.url).get(`${API}/components`).set(bob).expect(200);
    for (let i = 0; i < 5; i += 1) await request(ctx.registry.url).get('/health/live').expect(200);
  });
});
