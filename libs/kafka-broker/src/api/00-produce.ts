import { ErrorCode } from '../protocol/error-codes';
import { checkProducedRecords } from '../protocol/record-batch';
import { MessageSchema } from '../protocol/schema';
import { type BrokerContext, defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.Produce);

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: { name: string; partitionData: { index: number; records: Buffer | null }[] }[];
}

interface PartitionProduceResponse {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
}

export interface ProduceResponse {
  responses: { name: string; partitionResponses: PartitionProduceResponse[] }[];
  throttleTimeMs: number;
}

const request = new MessageSchema<ProduceRequest>(
  `
  transactionalId string 3+ null=3+
  acks int16 0+
  timeoutMs int32 0+
  topicData [] 0+
    name string 0+
    partitionData [] 0+
      index int32 0+
      records records 0+ null=0+
  `,
  flexibleFrom,
);

const response = new MessageSchema<ProduceResponse>(
  `
  responses [] 0+
    name string 0+
    partitionResponses [] 0+
      index int32 0+
      errorCode int16 0+
      baseOffset int64 0+
      logAppendTimeMs int64 2+ =-1
      logStartOffset int64 5+ =-1
      recordErrors [] 8+
        batchIndex int32 8+
        batchIndexErrorMessage string 8+ null=8+
      errorMessage string 8+ null=8+
  throttleTimeMs int32 1+
  `,
  flexibleFrom,
);

const NO_RECORD_ERRORS: PartitionProduceResponse['recordErrors'] = [];

function failed(index: number, errorCode: number, errorMessage: string | null): PartitionProduceResponse {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: NO_RECORD_ERRORS,
    errorMessage,
  };
}

async function appendOne(
  broker: BrokerContext,
  topic: string,
  index: number,
  records: Buffer | null,
): Promise<PartitionProduceResponse> {
  const log = broker.logs.partition(topic, index);
  if (!log)
    return failed(
      index,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      `topic ${topic} partition ${index} does not exist`,
    );
  if (records !== null && records.length > broker.settings.maxMessageBytes) {
    return failed(
      index,
      ErrorCode.MESSAGE_TOO_LARGE,
      `record batch of ${records.length} bytes exceeds message.max.bytes ${broker.settings.maxMessageBytes}`,
    );
  }
  const check = checkProducedRecords(records);
  if (!check.ok) return failed(index, check.errorCode, check.errorMessage);
  // The batch is a view into the request frame (no copy); the log may rewrite its baseOffset in place.
  const result = await log.append(check.batch);
  // A duplicate of an already written idempotent batch is acknowledged with its original offset,
  // as Kafka does, so the producer's retry succeeds.
  const errorCode =
    result.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER ? ErrorCode.NONE : result.errorCode;
  // Appended now (a duplicate was appended before, and counted then).
  if (result.errorCode === ErrorCode.NONE) {
    broker.traffic.produced(topic, check.header.recordCount, check.batch.length);
  }
  return {
    index,
    errorCode,
    baseOffset: errorCode === ErrorCode.NONE ? result.baseOffset : -1n,
    logAppendTimeMs: result.logAppendTimeMs,
    logStartOffset: result.logStartOffset,
    recordErrors: NO_RECORD_ERRORS,
    errorMessage: null,
  };
}

export const produceApi = defineApi<ProduceRequest, ProduceResponse>({
  apiKey: ApiKey.Produce,
  request,
  response,
  async handle(req, ctx) {
    const { broker } = ctx;
    const refuseAll = (errorCode: number, message: string): ProduceResponse => ({
      responses: req.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => failed(p.index, errorCode, message)),
      })),
      throttleTimeMs: 0,
    });
    if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
      return refuseAll(ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, got ${req.acks}`);
    }
    if (req.transactionalId !== null) {
      return refuseAll(
        ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        'transactions are not supported by the embedded broker; use an idempotent producer',
      );
    }
    const responses = await Promise.all(
      req.topicData.map(async (t) => ({
        name: t.name,
        partitionResponses: await Promise.all(
          t.partitionData.map((p) => appendOne(broker, t.name, p.index, p.records)),
        ),
      })),
    );
    // acks=0: the client expects no response at all.
    if (req.acks === 0) return null;
    return { responses, throttleTimeMs: 0 };
  },
});
