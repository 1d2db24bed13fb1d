import type { INestApplication } from '@nestjs/common';
import { SignJWT, UnsecuredJWT } from 'jose';
import { mintToken } from '@upshift/http';
import type { Role } from '@upshift/http';

/** The HS256 secret every test stack shares (at least 32 bytes, as the services require). */
export const TEST_JWT_SECRET = 'upshift-test-secret-0123456789abcdef-not-for-production';

export interface TestTokenOptions {
  sub?: string;
  tenants?: readonly string[];
  roles?: readonly Role[];
  ttlSeconds?: number;
  secret?: string;
  audience?: string;
}

/** A real token signed with TEST_JWT_SECRET; an admin of every tenant unless told otherwise. */
export function testToken(options: TestTokenOptions = {}): Promise<string> {
  return mintToken({
    secret: options.secret ?? TEST_JWT_SECRET,
    sub: options.sub ?? 'test-admin',
    tenants: options.tenants ?? ['*'],
    roles: options.roles ?? ['admin'],
    ttlSeconds: options.ttlSeconds ?? 3600,
    audience: options.audience,
  });
}

/** `{ authorization: 'Bearer …' }` for fetch and supertest. */
export async function authHeader(options: TestTokenOptions = {}): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await testToken(options)}` };
}

/** Tokens that must never get through: each proves one check of the verifier on a real route. */
export async function forgedTokens(audience: string): Promise<Record<string, string>> {
  const claims = { tenants: ['*'], roles: ['admin'] };
  const now = Math.floor(Date.now() / 1000);
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);
  const signed = (key: Uint8Array, aud: string, exp: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setAudience(aud)
      .setExpirationTime(exp)
      .sign(key);
  return {
    expired: await signed(secret, audience, now - 3600),
    'bad signature': await signed(
      new TextEncoder().encode(`${TEST_JWT_SECRET}-but-another-one`),
      audience,
      now + 3600,
    ),
    'wrong audience': await signed(secret, `${audience}-elsewhere`, now + 3600),
    'alg none': new UnsecuredJWT({ ...claims, sub: 'mallory', aud: audience })
      .setExpirationTime(now + 3600)
      .encode(),
  };
}

export interface AppRoute {
  method: string;
  /** Express path with `:params`, e.g. /api/v1/registry/upgrades/:executionId. */
  path: string;
}

/**
 * Every route a running Nest (Express) app serves, read from its router: what an access-control test
 * iterates over, so that a new route without an expectation fails it. The OpenAPI documents and the
 * catch-all middleware layers (which answer every method) are left out.
 */
export function appRoutes(app: INestApplication): AppRoute[] {
  const express = app.getHttpAdapter().getInstance() as {
    router?: { stack: RouterLayer[] };
    _router?: { stack: RouterLayer[] };
  };
  const stack = (express.router ?? express._router)?.stack ?? [];
  const routes = new Map<string, AppRoute>();
  for (const layer of stack) {
    if (!layer.route || layer.route.path.startsWith('/api/docs')) continue;
    const methods = Object.keys(layer.route.methods);
    if (methods.length > 3) continue;
    for (const method of methods) {
      const route = { method: method.toUpperCase(), path: layer.route.path };
      routes.set(`${route.method} ${route.path}`, route);
    }
  }
  return [...routes.values()];
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}
