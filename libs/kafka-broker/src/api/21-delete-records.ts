import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.DeleteRecords);

export interface DeleteRecordsRequest {
  topics: { name: string; partitions: { partitionIndex: number; offset: bigint }[] }[];
  timeoutMs: number;
}

export interface DeleteRecordsResponse {
  throttleTimeMs: number;
  topics: {
    name: string;
    partitions: { partitionIndex: number; lowWatermark: bigint; errorCode: number }[];
  }[];
}

const request = new MessageSchema<DeleteRecordsRequest>(
  `
  topics [] 0+
    name string 0+
    partitions [] 0+
      partitionIndex int32 0+
      offset int64 0+
  timeoutMs int32 0+
  `,
  flexibleFrom,
);

const response = new MessageSchema<DeleteRecordsResponse>(
  `
  throttleTimeMs int32 0+
  topics [] 0+
    name string 0+
    partitions [] 0+
      partitionIndex int32 0+
      lowWatermark int64 0+
      errorCode int16 0+
  `,
  flexibleFrom,
);

/** Moves the log start offset forward; offset -1 means "up to the high watermark". */
export const deleteRecordsApi = defineApi<DeleteRecordsRequest, DeleteRecordsResponse>({
  apiKey: ApiKey.DeleteRecords,
  request,
  response,
  async handle(req, ctx) {
    const { logs } = ctx.broker;
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
            const log = logs.partition(t.name, p.partitionIndex);
            if (!log)
              return {
                partitionIndex: p.partitionIndex,
                lowWatermark: -1n,
                errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              };
            const hw = log.highWatermark();
            const target = p.offset === -1n ? hw : p.offset;
            if (target < 0n || target > hw) {
              return {
                partitionIndex: p.partitionIndex,
                lowWatermark: log.logStartOffset(),
                errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
              };
            }
            const lowWatermark = await log.deleteRecordsBefore(target);
            return { partitionIndex: p.partitionIndex, lowWatermark, errorCode: ErrorCode.NONE };
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
});
