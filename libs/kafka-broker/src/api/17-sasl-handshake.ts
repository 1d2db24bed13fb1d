import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema, NEVER_FLEXIBLE } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey } from './versions';

export interface SaslHandshakeRequest {
  mechanism: string;
}

export interface SaslHandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}

const request = new MessageSchema<SaslHandshakeRequest>(
  `
  mechanism string 0+
  `,
  NEVER_FLEXIBLE,
);

const response = new MessageSchema<SaslHandshakeResponse>(
  `
  errorCode int16 0+
  mechanisms []string 0+
  `,
  NEVER_FLEXIBLE,
);

export const SUPPORTED_MECHANISMS = ['PLAIN'];

/**
 * v1: SaslAuthenticate requests follow. v0 (kafka-python): the next frame is a bare SASL token
 * without a request header, answered by a bare token (see server/connection.ts).
 */
export const saslHandshakeApi = defineApi<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: ApiKey.SaslHandshake,
  request,
  response,
  handle(req, ctx) {
    if (!ctx.broker.saslUsers) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    if (ctx.sasl.stage !== 'none')
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: SUPPORTED_MECHANISMS };
    if (!SUPPORTED_MECHANISMS.includes(req.mechanism)) {
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: SUPPORTED_MECHANISMS };
    }
    ctx.sasl.stage = ctx.header.apiVersion === 0 ? 'raw' : 'authenticate';
    return { errorCode: ErrorCode.NONE, mechanisms: SUPPORTED_MECHANISMS };
  },
});
