import { MessageSchema } from '../protocol/schema';
import type { DescribedGroup } from '../group/group-coordinator';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.DescribeGroups);

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations: boolean;
}

export interface DescribeGroupsResponse {
  throttleTimeMs: number;
  groups: (DescribedGroup & { authorizedOperations: number })[];
}

const request = new MessageSchema<DescribeGroupsRequest>(
  `
  groups []string 0+
  includeAuthorizedOperations bool 3+
  `,
  flexibleFrom,
);

const response = new MessageSchema<DescribeGroupsResponse>(
  `
  throttleTimeMs int32 1+
  groups [] 0+
    errorCode int16 0+
    groupId string 0+
    groupState string 0+
    protocolType string 0+
    protocolData string 0+
    members [] 0+
      memberId string 0+
      groupInstanceId string 4+ null=4+
      clientId string 0+
      clientHost string 0+
      memberMetadata bytes 0+
      memberAssignment bytes 0+
    authorizedOperations int32 3+ =-2147483648
  `,
  flexibleFrom,
);

// Kafka's AclOperation codes allowed on a group: READ 3, DELETE 6, DESCRIBE 8.
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

export const describeGroupsApi = defineApi<DescribeGroupsRequest, DescribeGroupsResponse>({
  apiKey: ApiKey.DescribeGroups,
  request,
  response,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    groups: req.groups.map((id) => ({
      ...ctx.broker.groups.describe(id),
      authorizedOperations: req.includeAuthorizedOperations ? GROUP_OPERATIONS : -2147483648,
    })),
  }),
});
