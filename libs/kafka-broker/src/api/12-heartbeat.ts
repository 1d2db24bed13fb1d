import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.Heartbeat);

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  throttleTimeMs: number;
  errorCode: number;
}

const request = new MessageSchema<HeartbeatRequest>(
  `
  groupId string 0+
  generationId int32 0+
  memberId string 0+
  groupInstanceId string 3+ null=3+
  `,
  flexibleFrom,
);

const response = new MessageSchema<HeartbeatResponse>(
  `
  throttleTimeMs int32 1+
  errorCode int16 0+
  `,
  flexibleFrom,
);

/** REBALANCE_IN_PROGRESS in the answer is how members learn they must rejoin. */
export const heartbeatApi = defineApi<HeartbeatRequest, HeartbeatResponse>({
  apiKey: ApiKey.Heartbeat,
  request,
  response,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    errorCode: ctx.broker.groups.heartbeat(req.groupId, req.generationId, req.memberId),
  }),
});
