import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { type BrokerContext, defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.Fetch);

interface FetchPartition {
  partition: number;
  currentLeaderEpoch: number;
  fetchOffset: bigint;
  logStartOffset: bigint;
  partitionMaxBytes: number;
}

export interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: { topic: string; partitions: FetchPartition[] }[];
}

interface PartitionData {
  partitionIndex: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null;
  preferredReadReplica: number;
  records: Buffer | null;
}

export interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  responses: { topic: string; partitions: PartitionData[] }[];
}

const request = new MessageSchema<FetchRequest>(
  `
  replicaId int32 0-14 =-1
  maxWaitMs int32 0+
  minBytes int32 0+
  maxBytes int32 3+ =2147483647
  isolationLevel int8 4+
  sessionId int32 7+
  sessionEpoch int32 7+ =-1
  topics [] 0+
    topic string 0-12
    partitions [] 0+
      partition int32 0+
      currentLeaderEpoch int32 9+ =-1
      fetchOffset int64 0+
      lastFetchedEpoch int32 12+ =-1
      logStartOffset int64 5+ =-1
      partitionMaxBytes int32 0+
  forgottenTopicsData [] 7+
    topic string 7-12
    partitions []int32 7+
  rackId string 11+
  `,
  flexibleFrom,
);

const response = new MessageSchema<FetchResponse>(
  `
  throttleTimeMs int32 1+
  errorCode int16 7+
  sessionId int32 7+
  responses [] 0+
    topic string 0-12
    partitions [] 0+
      partitionIndex int32 0+
      errorCode int16 0+
      highWatermark int64 0+
      lastStableOffset int64 4+ =-1
      logStartOffset int64 5+ =-1
      abortedTransactions [] 4+ null=4+
        producerId int64 4+
        firstOffset int64 4+
      preferredReadReplica int32 11+ =-1
      records records 0+ null=0+
  `,
  flexibleFrom,
);

const NO_ABORTED: PartitionData['abortedTransactions'] = [];
const EMPTY = Buffer.alloc(0);

/** Reads every requested partition once; returns the response and how many record bytes it holds. */
function readOnce(
  broker: BrokerContext,
  req: FetchRequest,
): { response: FetchResponse; bytes: number; failed: boolean } {
  let budget = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  let bytes = 0;
  let failed = false;
  const responses = req.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p): PartitionData => {
      const log = broker.logs.partition(t.topic, p.partition);
      if (!log) {
        failed = true;
        return {
          partitionIndex: p.partition,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          highWatermark: -1n,
          lastStableOffset: -1n,
          logStartOffset: -1n,
          abortedTransactions: NO_ABORTED,
          preferredReadReplica: -1,
          records: EMPTY,
        };
      }
      // Kafka returns at least the first batch of the first non-empty partition even when it is
      // larger than the limits, so that a consumer can always make progress.
      const limit = Math.min(p.partitionMaxBytes, budget);
      const read =
        limit > 0 || bytes === 0
          ? log.read(p.fetchOffset, Math.max(limit, 1))
          : {
              records: EMPTY,
              highWatermark: log.highWatermark(),
              logStartOffset: log.logStartOffset(),
              errorCode: ErrorCode.NONE,
            };
      if (read.errorCode !== ErrorCode.NONE) failed = true;
      bytes += read.records.length;
      budget -= read.records.length;
      return {
        partitionIndex: p.partition,
        errorCode: read.errorCode,
        highWatermark: read.highWatermark,
        // No transactions: everything below the high watermark is stable.
        lastStableOffset: read.highWatermark,
        logStartOffset: read.logStartOffset,
        abortedTransactions: NO_ABORTED,
        preferredReadReplica: -1,
        records: read.records,
      };
    }),
  }));
  return {
    response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses },
    bytes,
    failed,
  };
}

/** The records a Fetch answers with count as traffic out (metrics/broker-traffic.ts). */
function counted(broker: BrokerContext, response: FetchResponse): FetchResponse {
  for (const t of response.responses) {
    for (const p of t.partitions) if (p.records !== null) broker.traffic.fetched(t.topic, p.records);
  }
  return response;
}

/**
 * Fetch with long polling: answers at once when minBytes are there (or on any partition error),
 * otherwise parks until an append to one of the partitions brings enough, maxWaitMs passes, or the
 * connection closes. Fetch sessions (KIP-227) are not kept: every answer is a full one with
 * sessionId 0, which clients accept as "sessions not in use".
 */
export const fetchApi = defineApi<FetchRequest, FetchResponse>({
  apiKey: ApiKey.Fetch,
  request,
  response,
  async handle(req, ctx) {
    const { broker, signal } = ctx;
    const first = readOnce(broker, req);
    if (first.failed || first.bytes >= req.minBytes || req.maxWaitMs <= 0)
      return counted(broker, first.response);
    const deadline = Date.now() + req.maxWaitMs;
    const unsubscribes: (() => void)[] = [];
    try {
      for (;;) {
        const woken = await new Promise<'append' | 'timeout' | 'closed'>((resolve) => {
          const finish = (why: 'append' | 'timeout' | 'closed'): void => {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            resolve(why);
          };
          const onAbort = (): void => finish('closed');
          const timer = setTimeout(() => finish('timeout'), Math.max(0, deadline - Date.now()));
          for (const u of unsubscribes.splice(0)) u();
          for (const t of req.topics) {
            for (const p of t.partitions) {
              const log = broker.logs.partition(t.topic, p.partition);
              if (log) unsubscribes.push(log.onAppend(() => finish('append')));
            }
          }
          if (signal.aborted) finish('closed');
          else signal.addEventListener('abort', onAbort);
        });
        const next = readOnce(broker, req);
        if (woken !== 'append' || next.failed || next.bytes >= req.minBytes || Date.now() >= deadline) {
          return counted(broker, next.response);
        }
      }
    } finally {
      for (const u of unsubscribes) u();
    }
  },
});
