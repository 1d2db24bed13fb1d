import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.DeleteGroups);

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: { groupId: string; errorCode: number }[];
}

const request = new MessageSchema<DeleteGroupsRequest>(
  `
  groupsNames []string 0+
  `,
  flexibleFrom,
);

const response = new MessageSchema<DeleteGroupsResponse>(
  `
  throttleTimeMs int32 0+
  results [] 0+
    groupId string 0+
    errorCode int16 0+
  `,
  flexibleFrom,
);

/**
 * Deletes groups without members, with their committed offsets (kafkajs admin.deleteGroups). A group
 * with members answers NON_EMPTY_GROUP; one the broker never heard of, GROUP_ID_NOT_FOUND.
 */
export const deleteGroupsApi = defineApi<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: ApiKey.DeleteGroups,
  request,
  response,
  async handle(req, ctx) {
    const { groups, offsets, logger } = ctx.broker;
    const results: DeleteGroupsResponse['results'] = [];
    for (const groupId of req.groupsNames) {
      const known =
        groups.describe(groupId).groupState !== 'Dead' || offsets.listForGroup(groupId).length > 0;
      if (!known) {
        results.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
        continue;
      }
      if (!groups.forgetIfEmpty(groupId)) {
        results.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP });
        continue;
      }
      await offsets.deleteGroup(groupId);
      logger.info({ groupId }, 'deleted group');
      results.push({ groupId, errorCode: ErrorCode.NONE });
    }
    return { throttleTimeMs: 0, results };
  },
});
