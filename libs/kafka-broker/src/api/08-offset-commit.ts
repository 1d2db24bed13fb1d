import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.OffsetCommit);

export interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: {
    name: string;
    partitions: {
      partitionIndex: number;
      committedOffset: bigint;
      committedLeaderEpoch: number;
      committedMetadata: string | null;
    }[];
  }[];
}

export interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

const request = new MessageSchema<OffsetCommitRequest>(
  `
  groupId string 0+
  generationIdOrMemberEpoch int32 1+ =-1
  memberId string 1+
  groupInstanceId string 7+ null=7+
  retentionTimeMs int64 2-4 =-1
  topics [] 0+
    name string 0+
    partitions [] 0+
      partitionIndex int32 0+
      committedOffset int64 0+
      committedLeaderEpoch int32 6+ =-1
      commitTimestamp int64 1 =-1
      committedMetadata string 0+ null=0+
  `,
  flexibleFrom,
);

const response = new MessageSchema<OffsetCommitResponse>(
  `
  throttleTimeMs int32 3+
  topics [] 0+
    name string 0+
    partitions [] 0+
      partitionIndex int32 0+
      errorCode int16 0+
  `,
  flexibleFrom,
);

/** Kafka's offset.metadata.max.bytes. */
const MAX_METADATA_BYTES = 4096;

export const offsetCommitApi = defineApi<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: ApiKey.OffsetCommit,
  request,
  response,
  async handle(req, ctx) {
    const { groups, offsets, logs } = ctx.broker;
    const groupError =
      req.groupId === ''
        ? ErrorCode.INVALID_GROUP_ID
        : groups.validateCommit(req.groupId, req.generationIdOrMemberEpoch, req.memberId);
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
            let errorCode: number = groupError;
            if (errorCode === ErrorCode.NONE && !logs.partition(t.name, p.partitionIndex))
              errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            if (
              errorCode === ErrorCode.NONE &&
              p.committedMetadata !== null &&
              Buffer.byteLength(p.committedMetadata) > MAX_METADATA_BYTES
            ) {
              errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
            }
            if (errorCode === ErrorCode.NONE) {
              await offsets.commit(
                req.groupId,
                t.name,
                p.partitionIndex,
                p.committedOffset,
                p.committedMetadata,
              );
            }
            return { partitionIndex: p.partitionIndex, errorCode };
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
});
