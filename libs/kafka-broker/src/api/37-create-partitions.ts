import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.CreatePartitions);

export interface CreatePartitionsRequest {
  topics: { name: string; count: number; assignments: { brokerIds: number[] }[] | null }[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsResponse {
  throttleTimeMs: number;
  results: { name: string; errorCode: number; errorMessage: string | null }[];
}

const request = new MessageSchema<CreatePartitionsRequest>(
  `
  topics [] 0+
    name string 0+
    count int32 0+
    assignments [] 0+ null=0+
      brokerIds []int32 0+
  timeoutMs int32 0+
  validateOnly bool 0+
  `,
  flexibleFrom,
);

const response = new MessageSchema<CreatePartitionsResponse>(
  `
  throttleTimeMs int32 0+
  results [] 0+
    name string 0+
    errorCode int16 0+
    errorMessage string 0+ null=0+
  `,
  flexibleFrom,
);

export const createPartitionsApi = defineApi<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: ApiKey.CreatePartitions,
  request,
  response,
  async handle(req, ctx) {
    const { logs, logger } = ctx.broker;
    const results: CreatePartitionsResponse['results'] = [];
    for (const t of req.topics) {
      const topic = logs.getTopic(t.name);
      if (!topic) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `topic ${t.name} does not exist`,
        });
        continue;
      }
      if (t.count <= topic.config.partitions) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.INVALID_PARTITIONS,
          errorMessage: `topic ${t.name} has ${topic.config.partitions} partitions; the new count must be larger, got ${t.count}`,
        });
        continue;
      }
      if (!req.validateOnly) {
        await logs.createPartitions(t.name, t.count);
        logger.info({ topic: t.name, partitions: t.count }, 'added partitions');
      }
      results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
    }
    return { throttleTimeMs: 0, results };
  },
});
