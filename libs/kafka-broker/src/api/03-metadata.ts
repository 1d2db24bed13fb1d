import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { type BrokerContext, defineApi } from './handler';
import { invalidTopicNameReason, topicIdFor, ZERO_TOPIC_ID } from './topic-ids';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.Metadata);

export interface MetadataRequest {
  topics: { topicId: Buffer; name: string | null }[] | null;
  allowAutoTopicCreation: boolean;
  includeTopicAuthorizedOperations: boolean;
}

interface MetadataTopic {
  errorCode: number;
  name: string | null;
  topicId: Buffer;
  isInternal: boolean;
  partitions: {
    errorCode: number;
    partitionIndex: number;
    leaderId: number;
    leaderEpoch: number;
    replicaNodes: number[];
    isrNodes: number[];
    offlineReplicas: number[];
  }[];
  topicAuthorizedOperations: number;
}

export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataTopic[];
  clusterAuthorizedOperations: number;
}

const request = new MessageSchema<MetadataRequest>(
  `
  topics [] 0+ null=1+
    topicId uuid 10+
    name string 0+ null=10+
  allowAutoTopicCreation bool 4+ =true
  includeClusterAuthorizedOperations bool 8-10
  includeTopicAuthorizedOperations bool 8+
  `,
  flexibleFrom,
);

const response = new MessageSchema<MetadataResponse>(
  `
  throttleTimeMs int32 3+
  brokers [] 0+
    nodeId int32 0+
    host string 0+
    port int32 0+
    rack string 1+ null=1+
  clusterId string 2+ null=2+
  controllerId int32 1+ =-1
  topics [] 0+
    errorCode int16 0+
    name string 0+ null=12+
    topicId uuid 10+
    isInternal bool 1+
    partitions [] 0+
      errorCode int16 0+
      partitionIndex int32 0+
      leaderId int32 0+
      leaderEpoch int32 7+ =-1
      replicaNodes []int32 0+
      isrNodes []int32 0+
      offlineReplicas []int32 5+
    topicAuthorizedOperations int32 8+ =-2147483648
  clusterAuthorizedOperations int32 8-10 =-2147483648
  `,
  flexibleFrom,
);

// Authorized-operation bitfields are "not requested" unless asked; we have no ACLs, so all allowed.
const OPERATIONS_NOT_REQUESTED = -2147483648;
// Bits by Kafka's AclOperation codes: READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8,
// DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11.
const ALL_TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0);

function describeTopic(broker: BrokerContext, name: string, includeOps: boolean): MetadataTopic {
  const topic = broker.logs.getTopic(name);
  if (!topic) {
    return {
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      name,
      topicId: ZERO_TOPIC_ID,
      isInternal: false,
      partitions: [],
      topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
    };
  }
  const replicas = [broker.nodeId];
  const partitions: MetadataTopic['partitions'] = [];
  for (let p = 0; p < topic.config.partitions; p++) {
    partitions.push({
      errorCode: ErrorCode.NONE,
      partitionIndex: p,
      leaderId: broker.nodeId,
      leaderEpoch: 0,
      replicaNodes: replicas,
      isrNodes: replicas,
      offlineReplicas: [],
    });
  }
  return {
    errorCode: ErrorCode.NONE,
    name,
    topicId: topicIdFor(name),
    isInternal: false,
    partitions,
    topicAuthorizedOperations: includeOps ? ALL_TOPIC_OPERATIONS : OPERATIONS_NOT_REQUESTED,
  };
}

/**
 * Creates a topic on first mention when auto-creation is on (Kafka's auto.create.topics.enable).
 * Unlike Kafka, the topic is usable in the same answer: no LEADER_NOT_AVAILABLE round trip.
 */
export async function autoCreateTopic(broker: BrokerContext, name: string): Promise<number> {
  if (invalidTopicNameReason(name)) return ErrorCode.INVALID_TOPIC_EXCEPTION;
  if (broker.logs.getTopic(name)) return ErrorCode.NONE;
  try {
    await broker.logs.createTopic(name, broker.settings.defaultPartitions, {});
    broker.logger.info({ topic: name, partitions: broker.settings.defaultPartitions }, 'auto-created topic');
  } catch (err) {
    if (!broker.logs.getTopic(name)) {
      broker.logger.error({ topic: name, err }, 'auto-creating topic failed');
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }
  return ErrorCode.NONE;
}

export const metadataApi = defineApi<MetadataRequest, MetadataResponse>({
  apiKey: ApiKey.Metadata,
  request,
  response,
  async handle(req, ctx) {
    const { broker, header } = ctx;
    const includeOps = req.includeTopicAuthorizedOperations;
    // v0 has no null: an empty list means "all topics" there, and "no topics" from v1 on.
    const all = req.topics === null || (header.apiVersion === 0 && req.topics.length === 0);
    const topics: MetadataTopic[] = [];
    if (all) {
      for (const t of broker.logs.listTopics()) topics.push(describeTopic(broker, t.name, includeOps));
    } else {
      for (const wanted of req.topics ?? []) {
        const name =
          wanted.name ??
          broker.logs.listTopics().find((t) => topicIdFor(t.name).equals(wanted.topicId))?.name;
        if (name === undefined) {
          topics.push({
            errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
            name: null,
            topicId: wanted.topicId,
            isInternal: false,
            partitions: [],
            topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
          });
          continue;
        }
        if (invalidTopicNameReason(name)) {
          topics.push({
            ...describeTopic(broker, name, false),
            errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
          });
          continue;
        }
        if (!broker.logs.getTopic(name) && broker.settings.autoCreateTopics && req.allowAutoTopicCreation) {
          const errorCode = await autoCreateTopic(broker, name);
          if (errorCode !== ErrorCode.NONE) {
            topics.push({ ...describeTopic(broker, name, false), errorCode });
            continue;
          }
        }
        topics.push(describeTopic(broker, name, includeOps));
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: [
        { nodeId: broker.nodeId, host: broker.advertised.host, port: broker.advertised.port, rack: null },
      ],
      clusterId: broker.clusterId,
      // Admin clients send their requests to the controller: that is us.
      controllerId: broker.nodeId,
      topics,
      clusterAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
    };
  },
});
