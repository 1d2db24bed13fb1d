import { mintToken } from './token-minter';
import type { Role } from './principal';

export interface ServiceTokenSettings {
  /** A token provisioned for this service (e.g. from an OIDC client-credentials flow); used as is. */
  staticToken?: string;
  /** Otherwise the shared HS256 secret, with which the service mints its own short-lived token. */
  secret?: string;
  sub: string;
  roles: readonly Role[];
  issuer?: string;
  audience?: string;
}

const TTL_SECONDS = 3600;
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * What one service presents to another (the orchestrator to the registry, the fleet to the registry):
 * a provisioned token, or one it mints for all tenants and renews before it expires.
 */
export function serviceTokenSource(settings: ServiceTokenSettings): () => Promise<string> {
  if (settings.staticToken) {
    const token = settings.staticToken;
    return () => Promise.resolve(token);
  }
  const secret = settings.secret;
  if (!secret)
    throw new Error(`${settings.sub} needs a token for its calls: set a service token or AUTH_JWT_SECRET`);
  let current: { token: string; renewAt: number } | null = null;
  return async () => {
    if (current === null || Date.now() >= current.renewAt) {
      const token = await mintToken({
        secret,
        sub: settings.sub,
        tenants: ['*'],
        roles: settings.roles,
        ttlSeconds: TTL_SECONDS,
        issuer: settings.issuer,
        audience: settings.audience,
      });
      current = { token, renewAt: Date.now() + TTL_SECONDS * 1000 - RENEW_BEFORE_MS };
    }
    return current.token;
  };
}
