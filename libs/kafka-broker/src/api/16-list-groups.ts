import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.ListGroups);

export interface ListGroupsRequest {
  statesFilter: string[];
}

export interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: { groupId: string; protocolType: string; groupState: string }[];
}

const request = new MessageSchema<ListGroupsRequest>(
  `
  statesFilter []string 4+
  `,
  flexibleFrom,
);

const response = new MessageSchema<ListGroupsResponse>(
  `
  throttleTimeMs int32 1+
  errorCode int16 0+
  groups [] 0+
    groupId string 0+
    protocolType string 0+
    groupState string 4+
  `,
  flexibleFrom,
);

/** Groups known since start-up (groups are in memory; see docs/adr/0013-consumer-group-coordinator.md). */
export const listGroupsApi = defineApi<ListGroupsRequest, ListGroupsResponse>({
  apiKey: ApiKey.ListGroups,
  request,
  response,
  handle(req, ctx) {
    const wanted = new Set(req.statesFilter.map((s) => s.toLowerCase()));
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      groups: ctx.broker.groups
        .list()
        .filter((g) => wanted.size === 0 || wanted.has(g.groupState.toLowerCase())),
    };
  },
});
