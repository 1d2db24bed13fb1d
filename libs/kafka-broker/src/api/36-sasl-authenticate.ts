import { createHash, timingSafeEqual } from 'crypto';
import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.SaslAuthenticate);

export interface SaslAuthenticateRequest {
  authBytes: Buffer;
}

export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: bigint;
}

const request = new MessageSchema<SaslAuthenticateRequest>(
  `
  authBytes bytes 0+
  `,
  flexibleFrom,
);

const response = new MessageSchema<SaslAuthenticateResponse>(
  `
  errorCode int16 0+
  errorMessage string 0+ null=0+
  authBytes bytes 0+
  sessionLifetimeMs int64 1+
  `,
  flexibleFrom,
);

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Checks a SASL/PLAIN token (RFC 4616: authzid NUL authcid NUL passwd) against the users file.
 * Returns the user name, or null. Compares digests in constant time.
 */
export function verifyPlain(token: Buffer, users: ReadonlyMap<string, string>): string | null {
  const parts = token.toString('utf8').split('\0');
  if (parts.length !== 3) return null;
  const [authzid, user, password] = parts;
  if (authzid !== '' && authzid !== user) return null;
  const expected = users.get(user);
  // Hash even for unknown users so timing does not tell which names exist.
  const ok = timingSafeEqual(digest(expected ?? '\0unknown'), digest(password));
  return ok && expected !== undefined ? user : null;
}

export const saslAuthenticateApi = defineApi<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  apiKey: ApiKey.SaslAuthenticate,
  request,
  response,
  handle(req, ctx) {
    const { sasl, broker } = ctx;
    const refuse = (errorCode: number, errorMessage: string): SaslAuthenticateResponse => {
      sasl.closeAfterResponse = true;
      return { errorCode, errorMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    };
    if (!broker.saslUsers || sasl.stage !== 'authenticate') {
      return refuse(
        ErrorCode.ILLEGAL_SASL_STATE,
        'send SaslHandshake (v1) with mechanism PLAIN before SaslAuthenticate',
      );
    }
    const user = verifyPlain(req.authBytes, broker.saslUsers);
    if (!user) {
      broker.logger.warn({ clientHost: ctx.clientHost }, 'SASL/PLAIN authentication failed');
      return refuse(
        ErrorCode.SASL_AUTHENTICATION_FAILED,
        'Authentication failed: invalid username or password',
      );
    }
    sasl.stage = 'done';
    sasl.principal = user;
    broker.logger.info({ user, clientHost: ctx.clientHost }, 'SASL/PLAIN authenticated');
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0n,
    };
  },
});
