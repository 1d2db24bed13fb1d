import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { isRole } from './principal';
import type { Principal } from './principal';

/** How tokens are verified: a shared HS256 secret, an OIDC provider's JWKS, or both. */
export interface TokenVerifierSettings {
  /** HS256 secret; at least 32 bytes (checked by the config schema). */
  jwtSecret?: string;
  /** JWKS document of an OIDC provider (RS256 / ES256 keys). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

/** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds. */
export const CLOCK_SKEW_SECONDS = 30;

const HMAC_ALGORITHMS = ['HS256'];
const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256'];

/** A token that does not prove who is acting; `description` is safe to show (RFC 6750 error_description). */
export class InvalidTokenError extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = 'InvalidTokenError';
  }
}

export interface TokenVerifier {
  /** The principal the token names; throws InvalidTokenError for anything else. */
  verify(token: string): Promise<Principal>;
}

/**
 * Verifies bearer JWTs with jose. The algorithm decides the key, and each key accepts only its own
 * algorithms: an HS256 token is never checked against a JWKS public key (algorithm confusion), and
 * `alg: none` matches no key at all.
 */
export function createTokenVerifier(settings: TokenVerifierSettings): TokenVerifier {
  const secret =
    settings.jwtSecret !== undefined && settings.jwtSecret !== ''
      ? new TextEncoder().encode(settings.jwtSecret)
      : null;
  const jwks: JWTVerifyGetKey | null =
    settings.jwksUrl !== undefined && settings.jwksUrl !== ''
      ? createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 })
      : null;
  if (secret === null && jwks === null) {
    throw new Error('Token verification needs AUTH_JWT_SECRET or AUTH_JWKS_URL');
  }

  return {
    async verify(token: string): Promise<Principal> {
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw new InvalidTokenError('The token is not a JWT');
      }
      const options = {
        issuer: settings.issuer || undefined,
        audience: settings.audience || undefined,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'sub'],
      };
      let payload: JWTPayload;
      try {
        if (alg !== undefined && HMAC_ALGORITHMS.includes(alg) && secret !== null) {
          ({ payload } = await jwtVerify(token, secret, { ...options, algorithms: HMAC_ALGORITHMS }));
        } else if (alg !== undefined && ASYMMETRIC_ALGORITHMS.includes(alg) && jwks !== null) {
          ({ payload } = await jwtVerify(token, jwks, { ...options, algorithms: ASYMMETRIC_ALGORITHMS }));
        } else {
          throw new InvalidTokenError(`Tokens signed with ${alg ?? 'no algorithm'} are not accepted`);
        }
      } catch (error) {
        throw asInvalidToken(error);
      }
      return principalOf(payload);
    },
  };
}

/** The claims Upshift reads: `sub`, `tenants` (ids or ["*"]) and `roles`. */
export function principalOf(payload: JWTPayload): Principal {
  const { sub, tenants, roles } = payload as JWTPayload & { tenants?: unknown; roles?: unknown };
  if (typeof sub !== 'string' || sub === '') throw new InvalidTokenError('The token has no subject (sub)');
  if (
    !Array.isArray(tenants) ||
    tenants.length === 0 ||
    !tenants.every((t) => typeof t === 'string' && t !== '')
  ) {
    throw new InvalidTokenError('The token has no tenants claim (an array of tenant ids, or ["*"])');
  }
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isRole)) {
    throw new InvalidTokenError('The token has no valid roles claim (viewer, operator, admin)');
  }
  return { sub, tenants: tenants.includes('*') ? '*' : [...(tenants as string[])], roles: [...roles] };
}

function asInvalidToken(error: unknown): InvalidTokenError {
  if (error instanceof InvalidTokenError) return error;
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('The token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new InvalidTokenError(`The token's ${error.claim} claim is not accepted`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidTokenError('The token signature does not verify');
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new InvalidTokenError('The token algorithm is not accepted');
  if (error instanceof errors.JWKSNoMatchingKey) return new InvalidTokenError('No key matches the token');
  if (error instanceof errors.JOSEError) return new InvalidTokenError('The token is not valid');
  // A JWKS endpoint that does not answer is our problem, not the client's: still 401, but say so.
  return new InvalidTokenError('The token could not be verified');
}
