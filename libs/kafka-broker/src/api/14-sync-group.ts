import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.SyncGroup);

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

const request = new MessageSchema<SyncGroupRequest>(
  `
  groupId string 0+
  generationId int32 0+
  memberId string 0+
  groupInstanceId string 3+ null=3+
  protocolType string 5+ null=5+
  protocolName string 5+ null=5+
  assignments [] 0+
    memberId string 0+
    assignment bytes 0+
  `,
  flexibleFrom,
);

const response = new MessageSchema<SyncGroupResponse>(
  `
  throttleTimeMs int32 1+
  errorCode int16 0+
  protocolType string 5+ null=5+
  protocolName string 5+ null=5+
  assignment bytes 0+
  `,
  flexibleFrom,
);

/** Followers wait here until the leader's SyncGroup brings the assignment of every member. */
export const syncGroupApi = defineApi<SyncGroupRequest, SyncGroupResponse>({
  apiKey: ApiKey.SyncGroup,
  request,
  response,
  async handle(req, ctx) {
    const result = await ctx.broker.groups.sync({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      protocolType: req.protocolType,
      protocolName: req.protocolName,
      assignments: req.assignments,
    });
    return { throttleTimeMs: 0, ...result };
  },
});
