import { createServer } from 'http';
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import request from 'supertest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { KeyLike } from 'jose';
import { testToken } from '@upshift/testing';
import { API, RegistryTestContext, startRegistry } from './support/registry-test-app';

/**
 * The registry configured as against an OIDC provider (Keycloak's realm layout): RS256 and ES256 tokens
 * verified with the provider's JWKS document, served over real HTTP; no shared secret at all.
 */
describe('registry with an OIDC provider (e2e)', () => {
  const issuer = 'https://id.example.com/realms/upshift';
  let jwks: Server;
  let ctx: RegistryTestContext;
  let rsa: { privateKey: KeyLike };
  let ec: { privateKey: KeyLike };

  const token = (alg: 'RS256' | 'ES256', key: KeyLike, kid: string, claims: Record<string, unknown> = {}) =>
    new SignJWT({ tenants: ['550e8400'], roles: ['viewer'], ...claims })
      .setProtectedHeader({ alg, kid })
      .setSubject('alice@example.com')
      .setIssuer(issuer)
      .setAudience('upshift')
      .setExpirationTime('5m')
      .sign(key);

  beforeAll(async () => {
    const rsaPair = await generateKeyPair('RS256');
    const ecPair = await generateKeyPair('ES256');
    rsa = rsaPair;
    ec = ecPair;
    const keys = [
      { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ecPair.publicKey)), kid: 'ec', alg: 'ES256', use: 'sig' },
    ];
    jwks = createServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })),
    );
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/realms/upshift/protocol/openid-connect/certs`;
    ctx = await startRegistry('oidc', {
      AUTH_JWT_SECRET: '',
      AUTH_JWKS_URL: jwksUrl,
      AUTH_ISSUER: issuer,
      AUTH_AUDIENCE: 'upshift',
    });
  });

  afterAll(async () => {
    await ctx?.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it("accepts the provider's RS256 and ES256 tokens", async () => {
    for (const signed of [
      await token('RS256', rsa.privateKey, 'rsa'),
      await token('ES256', ec.privateKey, 'ec'),
    ]) {
      await request(ctx.registry.url)
        .get(`${API}/components`)
        .set('authorization', `Bearer ${signed}`)
        .expect(200);
    }
  });

  it('refuses HS256 tokens (no secret is configured), another issuer and a missing exp', async () => {
    const hs = await testToken({ audience: 'upshift' });
    const otherIssuer = await new SignJWT({ tenants: ['*'], roles: ['admin'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa' })
      .setSubject('mallory')
      .setIssuer('https://evil.example.com')
      .setAudience('upshift')
      .setExpirationTime('5m')
      .sign(rsa.privateKey);
    const noExp = await new SignJWT({ tenants: ['*'], roles: ['admin'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa' })
      .setSubject('mallory')
      .setIssuer(issuer)
      .setAudience('upshift')
      .sign(rsa.privateKey);
    for (const bad of [hs, otherIssuer, noExp]) {
      const res = await request(ctx.registry.url)
        .get(`${API}/components`)
        .set('authorization', `Bearer ${bad}`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    }
  });

  it("applies the token's roles: a viewer from the provider cannot write the catalog", async () => {
    const viewer = await token('RS256', rsa.privateKey, 'rsa');
    const res = await request(ctx.registry.url)
      .post(`${API}/components`)
      .set('authorization', `Bearer ${viewer}`)
      .send({ name: 'from-a-viewer', kind: 'service' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ requiredRole: 'admin' });
  });
});
