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

/**
 * One step of the exchange the handshake started: PLAIN takes one request, SCRAM two (client-first,
 * client-final). A failed step answers SASL_AUTHENTICATION_FAILED with Kafka's wording, which says
 * nothing about which part was wrong, and the connection closes after the response.
 */
export const saslAuthenticateApi = defineApi<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  apiKey: ApiKey.SaslAuthenticate,
  request,
  response,
  handle(req, ctx) {
    const { sasl, broker } = ctx;
    const refuse = (errorCode: number, errorMessage: string): SaslAuthenticateResponse => {
      sasl.closeAfterResponse = true;
      sasl.exchange = null;
      return { errorCode, errorMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    };
    const exchange = sasl.exchange;
    if (!broker.saslUsers || sasl.stage !== 'authenticate' || !exchange) {
      return refuse(ErrorCode.ILLEGAL_SASL_STATE, 'send SaslHandshake (v1) before SaslAuthenticate');
    }
    const step = exchange.step(req.authBytes);
    if (step.kind === 'failed') {
      broker.logger.warn(
        { clientHost: ctx.clientHost, mechanism: exchange.mechanism, reason: step.reason },
        'SASL authentication failed',
      );
      return refuse(
        ErrorCode.SASL_AUTHENTICATION_FAILED,
        `Authentication failed during authentication due to invalid credentials with SASL mechanism ${exchange.mechanism}`,
      );
    }
    if (step.kind === 'done') {
      sasl.stage = 'done';
      sasl.exchange = null;
      sasl.principal = step.principal;
      broker.logger.info(
        { user: step.principal, mechanism: exchange.mechanism, clientHost: ctx.clientHost },
        'SASL authenticated',
      );
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      authBytes: step.response,
      sessionLifetimeMs: 0n,
    };
  },
});
