import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { topicIdFor, ZERO_TOPIC_ID } from './topic-ids';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.DeleteTopics);

export interface DeleteTopicsRequest {
  topics: { name: string | null; topicId: Buffer }[];
  topicNames: string[];
  timeoutMs: number;
}

interface DeletableTopicResult {
  name: string | null;
  topicId: Buffer;
  errorCode: number;
  errorMessage: string | null;
}

export interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: DeletableTopicResult[];
}

const request = new MessageSchema<DeleteTopicsRequest>(
  `
  topics [] 6+
    name string 6+ null=6+
    topicId uuid 6+
  topicNames []string 0-5
  timeoutMs int32 0+
  `,
  flexibleFrom,
);

const response = new MessageSchema<DeleteTopicsResponse>(
  `
  throttleTimeMs int32 1+
  responses [] 0+
    name string 0+ null=6+
    topicId uuid 6+
    errorCode int16 0+
    errorMessage string 5+ null=5+
  `,
  flexibleFrom,
);

export const deleteTopicsApi = defineApi<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: ApiKey.DeleteTopics,
  request,
  response,
  async handle(req, ctx) {
    const { logs, logger } = ctx.broker;
    const wanted =
      ctx.header.apiVersion >= 6
        ? req.topics
        : req.topicNames.map((name) => ({ name, topicId: ZERO_TOPIC_ID }));
    const responses: DeletableTopicResult[] = [];
    for (const w of wanted) {
      const name =
        w.name ?? logs.listTopics().find((t) => topicIdFor(t.name).equals(w.topicId))?.name ?? null;
      if (name === null || !logs.getTopic(name)) {
        responses.push({
          name,
          topicId: w.topicId,
          errorCode: w.name === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `topic ${name ?? 'with this id'} does not exist`,
        });
        continue;
      }
      await logs.deleteTopic(name);
      logger.info({ topic: name }, 'deleted topic');
      responses.push({ name, topicId: topicIdFor(name), errorCode: ErrorCode.NONE, errorMessage: null });
    }
    return { throttleTimeMs: 0, responses };
  },
});
