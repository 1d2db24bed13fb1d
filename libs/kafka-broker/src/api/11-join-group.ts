import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.JoinGroup);

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  reason: string | null;
}

export interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

const request = new MessageSchema<JoinGroupRequest>(
  `
  groupId string 0+
  sessionTimeoutMs int32 0+
  rebalanceTimeoutMs int32 1+ =-1
  memberId string 0+
  groupInstanceId string 5+ null=5+
  protocolType string 0+
  protocols [] 0+
    name string 0+
    metadata bytes 0+
  reason string 8+ null=8+
  `,
  flexibleFrom,
);

const response = new MessageSchema<JoinGroupResponse>(
  `
  throttleTimeMs int32 2+
  errorCode int16 0+
  generationId int32 0+ =-1
  protocolType string 7+ null=7+
  protocolName string 0+ null=7+
  leader string 0+
  skipAssignment bool 9+
  memberId string 0+
  members [] 0+
    memberId string 0+
    groupInstanceId string 5+ null=5+
    metadata bytes 0+
  `,
  flexibleFrom,
);

export const joinGroupApi = defineApi<JoinGroupRequest, JoinGroupResponse>({
  apiKey: ApiKey.JoinGroup,
  request,
  response,
  async handle(req, ctx) {
    const result = await ctx.broker.groups.join({
      groupId: req.groupId,
      sessionTimeoutMs: req.sessionTimeoutMs,
      // v0 has no rebalance timeout: Kafka uses the session timeout for it.
      rebalanceTimeoutMs: req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      protocols: req.protocols,
      clientId: ctx.header.clientId ?? '',
      clientHost: ctx.clientHost,
    });
    return { throttleTimeMs: 0, skipAssignment: false, ...result };
  },
});
