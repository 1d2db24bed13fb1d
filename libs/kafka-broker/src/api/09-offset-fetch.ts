import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { type BrokerContext, defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.OffsetFetch);

interface WantedTopic {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchRequest {
  groupId: string;
  topics: WantedTopic[] | null;
  groups: { groupId: string; topics: WantedTopic[] | null }[];
  requireStable: boolean;
}

interface FetchedPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

interface FetchedTopic {
  name: string;
  partitions: FetchedPartition[];
}

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: FetchedTopic[];
  errorCode: number;
  groups: { groupId: string; topics: FetchedTopic[]; errorCode: number }[];
}

const request = new MessageSchema<OffsetFetchRequest>(
  `
  groupId string 0-7
  topics [] 0-7 null=2-7
    name string 0-7
    partitionIndexes []int32 0-7
  groups [] 8+
    groupId string 8+
    memberId string 9+ null=9+
    memberEpoch int32 9+ =-1
    topics [] 8+ null=8+
      name string 8+
      partitionIndexes []int32 8+
  requireStable bool 7+
  `,
  flexibleFrom,
);

const response = new MessageSchema<OffsetFetchResponse>(
  `
  throttleTimeMs int32 3+
  topics [] 0-7
    name string 0-7
    partitions [] 0-7
      partitionIndex int32 0-7
      committedOffset int64 0-7
      committedLeaderEpoch int32 5-7 =-1
      metadata string 0-7 null=0-7
      errorCode int16 0-7
  errorCode int16 2-7
  groups [] 8+
    groupId string 8+
    topics [] 8+
      name string 8+
      partitions [] 8+
        partitionIndex int32 8+
        committedOffset int64 8+
        committedLeaderEpoch int32 8+ =-1
        metadata string 8+ null=8+
        errorCode int16 8+
    errorCode int16 8+
  `,
  flexibleFrom,
);

/** Committed offsets of one group; topics null → every partition the group committed (v2+). */
function fetchGroup(broker: BrokerContext, groupId: string, topics: WantedTopic[] | null): FetchedTopic[] {
  const answer = (
    partitionIndex: number,
    found: { offset: bigint; metadata: string | null } | undefined,
  ): FetchedPartition => ({
    partitionIndex,
    // -1 with no error means "nothing committed": the consumer falls back to its reset policy.
    committedOffset: found ? found.offset : -1n,
    committedLeaderEpoch: -1,
    metadata: found ? (found.metadata ?? '') : '',
    errorCode: ErrorCode.NONE,
  });
  if (topics === null) {
    const byTopic = new Map<string, FetchedPartition[]>();
    for (const c of broker.offsets.listForGroup(groupId)) {
      const list = byTopic.get(c.topic) ?? [];
      list.push(answer(c.partition, c));
      byTopic.set(c.topic, list);
    }
    return [...byTopic].map(([name, partitions]) => ({ name, partitions }));
  }
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => answer(p, broker.offsets.fetch(groupId, t.name, p))),
  }));
}

export const offsetFetchApi = defineApi<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: ApiKey.OffsetFetch,
  request,
  response,
  handle(req, ctx) {
    if (ctx.header.apiVersion >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: ErrorCode.NONE,
        groups: req.groups.map((g) => ({
          groupId: g.groupId,
          topics: fetchGroup(ctx.broker, g.groupId, g.topics),
          errorCode: ErrorCode.NONE,
        })),
      };
    }
    return {
      throttleTimeMs: 0,
      topics: fetchGroup(ctx.broker, req.groupId, req.topics),
      errorCode: ErrorCode.NONE,
      groups: [],
    };
  },
});
