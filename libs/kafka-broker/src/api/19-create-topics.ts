import { TopicExistsError } from '../log/log-manager';
import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { type BrokerContext, defineApi } from './handler';
import { ConfigSource, topicConfigEntries } from './topic-configs';
import { invalidTopicNameReason, topicIdFor, ZERO_TOPIC_ID } from './topic-ids';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.CreateTopics);

interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: { name: string; value: string | null }[];
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

interface CreatableTopicResult {
  name: string;
  topicId: Buffer;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  replicationFactor: number;
  configs:
    | { name: string; value: string | null; readOnly: boolean; configSource: number; isSensitive: boolean }[]
    | null;
}

export interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: CreatableTopicResult[];
}

const request = new MessageSchema<CreateTopicsRequest>(
  `
  topics [] 0+
    name string 0+
    numPartitions int32 0+
    replicationFactor int16 0+
    assignments [] 0+
      partitionIndex int32 0+
      brokerIds []int32 0+
    configs [] 0+
      name string 0+
      value string 0+ null=0+
  timeoutMs int32 0+ =60000
  validateOnly bool 1+
  `,
  flexibleFrom,
);

const response = new MessageSchema<CreateTopicsResponse>(
  `
  throttleTimeMs int32 2+
  topics [] 0+
    name string 0+
    topicId uuid 7+
    errorCode int16 0+
    errorMessage string 1+ null=0+
    numPartitions int32 5+ =-1
    replicationFactor int16 5+ =-1
    configs [] 5+ null=5+
      name string 5+
      value string 5+ null=5+
      readOnly bool 5+
      configSource int8 5+ =-1
      isSensitive bool 5+
  `,
  flexibleFrom,
);

async function createOne(
  broker: BrokerContext,
  t: CreatableTopic,
  validateOnly: boolean,
): Promise<CreatableTopicResult> {
  const failed = (errorCode: number, errorMessage: string): CreatableTopicResult => ({
    name: t.name,
    topicId: ZERO_TOPIC_ID,
    errorCode,
    errorMessage,
    numPartitions: -1,
    replicationFactor: -1,
    configs: null,
  });
  const badName = invalidTopicNameReason(t.name);
  if (badName) return failed(ErrorCode.INVALID_TOPIC_EXCEPTION, badName);
  if (broker.logs.getTopic(t.name))
    return failed(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${t.name} already exists`);
  const hasAssignments = t.assignments.length > 0;
  if (hasAssignments && (t.numPartitions !== -1 || t.replicationFactor !== -1)) {
    return failed(
      ErrorCode.INVALID_REQUEST,
      'give either replica assignments or numPartitions/replicationFactor, not both',
    );
  }
  if (
    hasAssignments &&
    t.assignments.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== broker.nodeId)
  ) {
    return failed(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `this single-node cluster only has broker ${broker.nodeId}`,
    );
  }
  const partitions = hasAssignments
    ? t.assignments.length
    : t.numPartitions === -1
      ? broker.settings.defaultPartitions
      : t.numPartitions;
  if (partitions <= 0)
    return failed(ErrorCode.INVALID_PARTITIONS, `numPartitions must be at least 1, got ${t.numPartitions}`);
  if (t.replicationFactor !== -1 && t.replicationFactor !== 1 && !hasAssignments) {
    return failed(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `replication factor ${t.replicationFactor} is larger than the 1 broker available; use 1 (or -1 for the default)`,
    );
  }
  const configs: Record<string, string> = {};
  for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
  if (!validateOnly) {
    try {
      await broker.logs.createTopic(t.name, partitions, configs);
    } catch (err) {
      if (err instanceof TopicExistsError) {
        return failed(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${t.name} already exists`);
      }
      return failed(ErrorCode.INVALID_CONFIG, (err as Error).message);
    }
    broker.logger.info({ topic: t.name, partitions, configs }, 'created topic');
  }
  const created = broker.logs.getTopic(t.name);
  return {
    name: t.name,
    topicId: topicIdFor(t.name),
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    numPartitions: partitions,
    replicationFactor: 1,
    configs: created
      ? topicConfigEntries(created.config).map((e) => ({
          name: e.name,
          value: e.value,
          readOnly: false,
          configSource: e.explicit ? ConfigSource.DYNAMIC_TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG,
          isSensitive: false,
        }))
      : [],
  };
}

export const createTopicsApi = defineApi<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: ApiKey.CreateTopics,
  request,
  response,
  async handle(req, ctx) {
    const topics: CreatableTopicResult[] = [];
    // One at a time: a request naming a topic twice gets TOPIC_ALREADY_EXISTS for the second.
    for (const t of req.topics) topics.push(await createOne(ctx.broker, t, req.validateOnly));
    return { throttleTimeMs: 0, topics };
  },
});
