import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.LeaveGroup);

export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; reason: string | null }[];
}

export interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

const request = new MessageSchema<LeaveGroupRequest>(
  `
  groupId string 0+
  memberId string 0-2
  members [] 3+
    memberId string 3+
    groupInstanceId string 3+ null=3+
    reason string 5+ null=5+
  `,
  flexibleFrom,
);

const response = new MessageSchema<LeaveGroupResponse>(
  `
  throttleTimeMs int32 1+
  errorCode int16 0+
  members [] 3+
    memberId string 3+
    groupInstanceId string 3+ null=3+
    errorCode int16 3+
  `,
  flexibleFrom,
);

/** v0–2 name one member; v3+ a batch (KIP-345), each with its own error code. */
export const leaveGroupApi = defineApi<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: ApiKey.LeaveGroup,
  request,
  response,
  handle(req, ctx) {
    const batch = ctx.header.apiVersion >= 3;
    const leaving = batch ? req.members : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
    const codes = ctx.broker.groups.leave(req.groupId, leaving);
    return {
      throttleTimeMs: 0,
      errorCode: batch ? ErrorCode.NONE : codes[0],
      members: leaving.map((m, i) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        errorCode: codes[i],
      })),
    };
  },
});
