import { produceApi } from './00-produce';
import { fetchApi } from './01-fetch';
import { listOffsetsApi } from './02-list-offsets';
import { metadataApi } from './03-metadata';
import { offsetCommitApi } from './08-offset-commit';
import { offsetFetchApi } from './09-offset-fetch';
import { findCoordinatorApi } from './10-find-coordinator';
import { joinGroupApi } from './11-join-group';
import { heartbeatApi } from './12-heartbeat';
import { leaveGroupApi } from './13-leave-group';
import { syncGroupApi } from './14-sync-group';
import { describeGroupsApi } from './15-describe-groups';
import { listGroupsApi } from './16-list-groups';
import { saslHandshakeApi } from './17-sasl-handshake';
import { apiVersionsApi } from './18-api-versions';
import { createTopicsApi } from './19-create-topics';
import { deleteTopicsApi } from './20-delete-topics';
import { deleteRecordsApi } from './21-delete-records';
import { initProducerIdApi } from './22-init-producer-id';
import { describeConfigsApi } from './32-describe-configs';
import { saslAuthenticateApi } from './36-sasl-authenticate';
import { createPartitionsApi } from './37-create-partitions';
import { deleteGroupsApi } from './42-delete-groups';
import type { ApiHandler } from './handler';
import { SUPPORTED_APIS } from './versions';

/** Handlers by API key. Requests and responses are typed inside each handler's own file. */
type AnyHandler = ApiHandler<unknown, unknown>;

const handlers: AnyHandler[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  saslHandshakeApi,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  deleteRecordsApi,
  initProducerIdApi,
  describeConfigsApi,
  saslAuthenticateApi,
  createPartitionsApi,
  deleteGroupsApi,
];

export const HANDLERS: ReadonlyMap<number, AnyHandler> = new Map(handlers.map((h) => [h.apiKey, h]));

// The version table and the handlers must cover the same API keys.
for (const a of SUPPORTED_APIS) {
  if (!HANDLERS.has(a.apiKey)) throw new Error(`no handler for advertised API ${a.name} (${a.apiKey})`);
}
