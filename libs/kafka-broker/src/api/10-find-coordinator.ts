import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.FindCoordinator);

export interface FindCoordinatorRequest {
  key: string;
  keyType: number;
  coordinatorKeys: string[];
}

interface Coordinator {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
  coordinators: Coordinator[];
}

const request = new MessageSchema<FindCoordinatorRequest>(
  `
  key string 0-3
  keyType int8 1+
  coordinatorKeys []string 4+
  `,
  flexibleFrom,
);

const response = new MessageSchema<FindCoordinatorResponse>(
  `
  throttleTimeMs int32 1+
  errorCode int16 0-3
  errorMessage string 1-3 null=1-3
  nodeId int32 0-3
  host string 0-3
  port int32 0-3
  coordinators [] 4+
    key string 4+
    nodeId int32 4+
    host string 4+
    port int32 4+
    errorCode int16 4+
    errorMessage string 4+ null=4+
  `,
  flexibleFrom,
);

const KEY_TYPE_TRANSACTION = 1;

/** Single node: this broker coordinates every group. Transaction coordinators are refused. */
export const findCoordinatorApi = defineApi<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: ApiKey.FindCoordinator,
  request,
  response,
  handle(req, ctx) {
    const { nodeId, advertised } = ctx.broker;
    const answer = (key: string): Coordinator =>
      req.keyType === KEY_TYPE_TRANSACTION
        ? {
            key,
            nodeId: -1,
            host: '',
            port: -1,
            errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
            errorMessage: 'transactions are not supported by the embedded broker',
          }
        : {
            key,
            nodeId,
            host: advertised.host,
            port: advertised.port,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
          };
    const single = answer(req.key);
    return {
      throttleTimeMs: 0,
      errorCode: single.errorCode,
      errorMessage: single.errorMessage,
      nodeId: single.nodeId,
      host: single.host,
      port: single.port,
      coordinators: req.coordinatorKeys.map(answer),
    };
  },
});
