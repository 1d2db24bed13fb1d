import { createServer } from 'http';
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import type { KeyLike } from 'jose';
import { mintToken } from './token-minter';
import { createTokenVerifier, InvalidTokenError } from './token-verifier';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const claims = { tenants: ['t1'], roles: ['operator'] };
const inOneHour = () => Math.floor(Date.now() / 1000) + 3600;

function sign(alg: string, key: KeyLike | Uint8Array, extra: Record<string, unknown> = {}, kid?: string) {
  return new SignJWT({ ...claims, ...extra })
    .setProtectedHeader(kid ? { alg, kid } : { alg })
    .setSubject('alice')
    .setExpirationTime(inOneHour())
    .sign(key);
}

async function refused(
  token: Promise<string> | string,
  verifier = createTokenVerifier({ jwtSecret: SECRET }),
) {
  const error = await verifier.verify(await token).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  return (error as InvalidTokenError).description;
}

describe('token verifier, HS256', () => {
  const verifier = createTokenVerifier({ jwtSecret: SECRET, issuer: 'upshift', audience: 'upshift-api' });
  const secret = new TextEncoder().encode(SECRET);

  it('accepts a token with the claims and names its principal', async () => {
    const token = await mintToken({
      secret: SECRET,
      sub: 'alice',
      tenants: ['t1', 't2'],
      roles: ['operator'],
      ttlSeconds: 60,
      issuer: 'upshift',
      audience: 'upshift-api',
    });
    await expect(verifier.verify(token)).resolves.toEqual({
      sub: 'alice',
      tenants: ['t1', 't2'],
      roles: ['operator'],
    });
  });

  it('reads tenants ["*"] as every tenant', async () => {
    const token = await mintToken({
      secret: SECRET,
      sub: 'ops',
      tenants: ['*'],
      roles: ['admin'],
      ttlSeconds: 60,
    });
    await expect(createTokenVerifier({ jwtSecret: SECRET }).verify(token)).resolves.toMatchObject({
      tenants: '*',
    });
  });

  it('refuses an expired token, but allows 30 s of clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const plain = createTokenVerifier({ jwtSecret: SECRET });
    const expiredLongAgo = new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a')
      .setExpirationTime(now - 120);
    expect(await refused(expiredLongAgo.sign(secret), plain)).toMatch(/expired/);
    const justExpired = new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a')
      .setExpirationTime(now - 10);
    await expect(plain.verify(await justExpired.sign(secret))).resolves.toMatchObject({ sub: 'a' });
  });

  it('refuses a token without exp', async () => {
    const token = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('a').sign(secret);
    expect(await refused(token)).toMatch(/exp/);
  });

  it('refuses a bad signature, a wrong issuer and a wrong audience', async () => {
    const other = new TextEncoder().encode('another-secret-that-is-at-least-32-bytes!');
    expect(await refused(sign('HS256', other, { iss: 'upshift', aud: 'upshift-api' }), verifier)).toMatch(
      /signature/,
    );
    expect(await refused(sign('HS256', secret, { iss: 'evil', aud: 'upshift-api' }), verifier)).toMatch(
      /iss/,
    );
    expect(await refused(sign('HS256', secret, { iss: 'upshift', aud: 'other' }), verifier)).toMatch(/aud/);
  });

  it('refuses alg none', async () => {
    const unsecured = new UnsecuredJWT({ ...claims, sub: 'mallory' }).setExpirationTime(inOneHour()).encode();
    expect(await refused(unsecured)).toMatch(/not accepted/);
  });

  it('refuses tokens whose claims are missing or wrong', async () => {
    expect(await refused(sign('HS256', secret, { tenants: [] }))).toMatch(/tenants/);
    expect(await refused(sign('HS256', secret, { tenants: 't1' }))).toMatch(/tenants/);
    expect(await refused(sign('HS256', secret, { roles: ['root'] }))).toMatch(/roles/);
    expect(await refused(sign('HS256', secret, { roles: [] }))).toMatch(/roles/);
    const noSubject = new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(inOneHour())
      .sign(secret);
    expect(await refused(noSubject)).toMatch(/sub/);
  });

  it('refuses what is not a JWT at all', async () => {
    expect(await refused('not-a-jwt')).toMatch(/not a JWT/);
  });

  it('refuses RS256 when only a secret is configured', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    expect(await refused(sign('RS256', privateKey))).toMatch(/not accepted/);
  });
});

describe('token verifier, JWKS of an OIDC provider served over HTTP', () => {
  let server: Server;
  let jwksUrl: string;
  let rsa: { privateKey: KeyLike; publicKey: KeyLike };
  let ec: { privateKey: KeyLike; publicKey: KeyLike };
  let stranger: { privateKey: KeyLike; publicKey: KeyLike };
  let jwksRequests = 0;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256');
    ec = await generateKeyPair('ES256');
    stranger = await generateKeyPair('RS256');
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    server = createServer((request, response) => {
      jwksRequests += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/upshift/protocol/openid-connect/certs`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('accepts RS256 and ES256 tokens signed by the provider', async () => {
    const verifier = createTokenVerifier({ jwksUrl, issuer: 'https://id.example.com/realms/upshift' });
    const iss = { iss: 'https://id.example.com/realms/upshift' };
    await expect(verifier.verify(await sign('RS256', rsa.privateKey, iss, 'rsa-1'))).resolves.toMatchObject({
      sub: 'alice',
    });
    await expect(verifier.verify(await sign('ES256', ec.privateKey, iss, 'ec-1'))).resolves.toMatchObject({
      sub: 'alice',
    });
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('refuses a token signed by a key the provider does not publish', async () => {
    const verifier = createTokenVerifier({ jwksUrl });
    expect(await refused(sign('RS256', stranger.privateKey, {}, 'rsa-1'), verifier)).toMatch(/signature|key/);
  });

  it('refuses algorithm confusion: an HS256 token keyed with the provider public key', async () => {
    // The classic attack: sign HS256 with the RSA public key's PEM as the HMAC secret.
    const pem = await exportSPKI(rsa.publicKey);
    const forged = sign('HS256', new TextEncoder().encode(pem), {}, 'rsa-1');
    expect(await refused(forged, createTokenVerifier({ jwksUrl }))).toMatch(/not accepted/);
    // Even with a shared secret configured too, the forged token is checked against that secret only.
    expect(await refused(forged, createTokenVerifier({ jwksUrl, jwtSecret: SECRET }))).toMatch(/signature/);
  });

  it('says so when the provider does not answer', async () => {
    const verifier = createTokenVerifier({ jwksUrl: 'http://127.0.0.1:1/certs' });
    expect(await refused(sign('RS256', rsa.privateKey, {}, 'rsa-1'), verifier)).toMatch(
      /could not be verified|not valid/,
    );
  });
});
