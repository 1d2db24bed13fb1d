import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.InitProducerId);

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

const request = new MessageSchema<InitProducerIdRequest>(
  `
  transactionalId string 0+ null=0+
  transactionTimeoutMs int32 0+
  producerId int64 3+ =-1
  producerEpoch int16 3+ =-1
  `,
  flexibleFrom,
);

const response = new MessageSchema<InitProducerIdResponse>(
  `
  throttleTimeMs int32 0+
  errorCode int16 0+
  producerId int64 0+ =-1
  producerEpoch int16 0+
  `,
  flexibleFrom,
);

const MAX_EPOCH = 32767;

/**
 * Idempotent producers only: a fresh id with epoch 0, or (v3+, KIP-360) the same id with the next
 * epoch when the producer asks to bump after a sequence error. Transactional ids are refused.
 */
export const initProducerIdApi = defineApi<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: ApiKey.InitProducerId,
  request,
  response,
  async handle(req, ctx) {
    if (req.transactionalId !== null) {
      ctx.broker.logger.warn(
        { transactionalId: req.transactionalId },
        'refused a transactional producer: transactions are not supported',
      );
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        producerId: -1n,
        producerEpoch: -1,
      };
    }
    if (req.producerId >= 0n && req.producerEpoch >= 0 && req.producerEpoch < MAX_EPOCH - 1) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        producerId: req.producerId,
        producerEpoch: req.producerEpoch + 1,
      };
    }
    const producerId = await ctx.broker.producerIds.allocate();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  },
});
