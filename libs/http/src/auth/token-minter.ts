import { SignJWT } from 'jose';
import type { Role } from './principal';

export interface MintTokenRequest {
  secret: string;
  sub: string;
  tenants: readonly string[];
  roles: readonly Role[];
  ttlSeconds: number;
  issuer?: string;
  audience?: string;
}

/**
 * An HS256 token signed with the services' shared secret: what `npm run token`, the local stack, the
 * demo, the benches and the tests use, and what the orchestrator presents to the registry.
 */
export async function mintToken(request: MintTokenRequest): Promise<string> {
  let jwt = new SignJWT({ tenants: [...request.tenants], roles: [...request.roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + request.ttlSeconds);
  if (request.issuer) jwt = jwt.setIssuer(request.issuer);
  if (request.audience) jwt = jwt.setAudience(request.audience);
  return jwt.sign(new TextEncoder().encode(request.secret));
}

/** `90`, `90s`, `15m`, `1h`, `7d` → seconds; null when it is none of these. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (match === null) return null;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  return seconds > 0 ? seconds : null;
}
