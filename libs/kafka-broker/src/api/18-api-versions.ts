import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { defineApi } from './handler';
import { ApiKey, SUPPORTED_APIS, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.ApiVersions);

export interface ApiVersionsRequest {
  clientSoftwareName: string;
  clientSoftwareVersion: string;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[];
  throttleTimeMs: number;
}

export const apiVersionsRequest = new MessageSchema<ApiVersionsRequest>(
  `
  clientSoftwareName string 3+
  clientSoftwareVersion string 3+
  `,
  flexibleFrom,
);

export const apiVersionsResponse = new MessageSchema<ApiVersionsResponse>(
  `
  errorCode int16 0+
  apiKeys [] 0+
    apiKey int16 0+
    minVersion int16 0+
    maxVersion int16 0+
  throttleTimeMs int32 1+
  `,
  flexibleFrom,
);

export function apiVersionsBody(errorCode: number): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: SUPPORTED_APIS.map((a) => ({
      apiKey: a.apiKey,
      minVersion: a.minVersion,
      maxVersion: a.maxVersion,
    })),
    // kafkajs waits out a non-zero throttle; this broker never throttles.
    throttleTimeMs: 0,
  };
}

/**
 * Answered from the one table in versions.ts. A version we do not know is answered by the
 * dispatcher in v0 layout with UNSUPPORTED_VERSION and the same table, so the client can step down
 * (KIP-511); the response header of ApiVersions is always v0, even in flexible versions.
 */
export const apiVersionsApi = defineApi<ApiVersionsRequest, ApiVersionsResponse>({
  apiKey: ApiKey.ApiVersions,
  request: apiVersionsRequest,
  response: apiVersionsResponse,
  handle: () => apiVersionsBody(ErrorCode.NONE),
});
