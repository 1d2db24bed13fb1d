import { ErrorCode } from '../protocol/error-codes';
import { SASL_MECHANISMS } from '../sasl/users';
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

const SUPPORTED_MECHANISMS = [...SASL_MECHANISMS];

/**
 * Starts the exchange of the chosen mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). v1:
 * SaslAuthenticate requests follow. v0 (kafka-python): the next frames are bare SASL tokens
 * without a request header, each answered by a bare token (see server/connection.ts).
 */
export const saslHandshakeApi = defineApi<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: ApiKey.SaslHandshake,
  request,
  response,
  handle(req, ctx) {
    if (!ctx.broker.saslUsers) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    if (ctx.sasl.stage !== 'none')
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: SUPPORTED_MECHANISMS };
    const exchange = ctx.broker.saslUsers.startExchange(req.mechanism);
    if (!exchange) {
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: SUPPORTED_MECHANISMS };
    }
    ctx.sasl.exchange = exchange;
    ctx.sasl.stage = ctx.header.apiVersion === 0 ? 'raw' : 'authenticate';
    return { errorCode: ErrorCode.NONE, mechanisms: SUPPORTED_MECHANISMS };
  },
});
