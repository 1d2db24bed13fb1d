import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.ListOffsets);

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: {
    name: string;
    partitions: { partitionIndex: number; currentLeaderEpoch: number; timestamp: bigint }[];
  }[];
}

interface PartitionOffset {
  partitionIndex: number;
  errorCode: number;
  timestamp: bigint;
  offset: bigint;
  leaderEpoch: number;
}

export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: PartitionOffset[] }[];
}

const request = new MessageSchema<ListOffsetsRequest>(
  `
  replicaId int32 0+
  isolationLevel int8 2+
  topics [] 0+
    name string 0+
    partitions [] 0+
      partitionIndex int32 0+
      currentLeaderEpoch int32 4+ =-1
      timestamp int64 0+
      maxNumOffsets int32 0 =1
  `,
  flexibleFrom,
);

const response = new MessageSchema<ListOffsetsResponse>(
  `
  throttleTimeMs int32 2+
  topics [] 0+
    name string 0+
    partitions [] 0+
      partitionIndex int32 0+
      errorCode int16 0+
      timestamp int64 1+ =-1
      offset int64 1+ =-1
      leaderEpoch int32 4+ =-1
  `,
  flexibleFrom,
);

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;

/** Special timestamps: -1 latest (high watermark), -2 earliest (log start), -3 the latest record. */
export const listOffsetsApi = defineApi<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: ApiKey.ListOffsets,
  request,
  response,
  handle(req, ctx) {
    const { logs } = ctx.broker;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p): PartitionOffset => {
          const log = logs.partition(t.name, p.partitionIndex);
          const answer = (offset: bigint, timestamp = -1n): PartitionOffset => ({
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.NONE,
            timestamp,
            offset,
            leaderEpoch: 0,
          });
          if (!log) {
            return { ...answer(-1n), errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: -1 };
          }
          if (p.timestamp === LATEST) return answer(log.highWatermark());
          if (p.timestamp === EARLIEST) return answer(log.logStartOffset());
          if (p.timestamp === MAX_TIMESTAMP) {
            // The log keeps no max-timestamp index: the last record stands in for it (they agree
            // whenever producers use increasing timestamps, which every client here does).
            const hw = log.highWatermark();
            return hw > log.logStartOffset() ? answer(hw - 1n) : answer(-1n);
          }
          const found = log.offsetForTimestamp(p.timestamp);
          return found ? answer(found.offset, found.timestamp) : answer(-1n);
        }),
      })),
    };
  },
});
