import { NEVER_FLEXIBLE } from '../protocol/schema';

/**
 * THE table of what this broker implements. ApiVersions answers from it, the dispatcher refuses
 * anything outside it with UNSUPPORTED_VERSION, and each handler's schemas take their first flexible
 * version from it (as in Kafka's message definitions). See docs/adr/0010-kafka-protocol-subset.md.
 *
 * Minimums stay at or below what kafkajs 2.2.4 sends, because kafkajs ignores the broker's minimum.
 */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  DescribeConfigs: 32,
  DeleteGroups: 42,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
} as const;

export type ApiKeyValue = (typeof ApiKey)[keyof typeof ApiKey];

export interface ApiVersionRange {
  readonly apiKey: ApiKeyValue;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First version using flexible encodings (request header v2, compact types, tagged fields). */
  readonly flexibleFrom: number;
}

const range = (
  name: keyof typeof ApiKey,
  minVersion: number,
  maxVersion: number,
  flexibleFrom: number,
): ApiVersionRange => ({
  apiKey: ApiKey[name],
  name,
  minVersion,
  maxVersion,
  flexibleFrom,
});

export const SUPPORTED_APIS: readonly ApiVersionRange[] = [
  range('Produce', 3, 9, 9),
  range('Fetch', 4, 12, 12),
  range('ListOffsets', 1, 7, 6),
  range('Metadata', 0, 12, 9),
  range('OffsetCommit', 2, 8, 8),
  range('OffsetFetch', 1, 8, 6),
  range('FindCoordinator', 0, 4, 3),
  range('JoinGroup', 0, 9, 6),
  range('Heartbeat', 0, 4, 4),
  range('LeaveGroup', 0, 5, 4),
  range('SyncGroup', 0, 5, 4),
  range('DescribeGroups', 0, 5, 5),
  range('ListGroups', 0, 4, 3),
  range('SaslHandshake', 0, 1, NEVER_FLEXIBLE),
  range('ApiVersions', 0, 3, 3),
  range('CreateTopics', 0, 7, 5),
  range('DeleteTopics', 0, 6, 4),
  range('DeleteRecords', 0, 2, 2),
  range('InitProducerId', 0, 4, 2),
  range('DescribeConfigs', 0, 4, 4),
  range('SaslAuthenticate', 0, 2, 2),
  range('CreatePartitions', 0, 3, 2),
  range('DeleteGroups', 0, 2, 2),
];

const byKey = new Map<number, ApiVersionRange>(SUPPORTED_APIS.map((a) => [a.apiKey, a]));

export function apiRange(apiKey: number): ApiVersionRange | undefined {
  return byKey.get(apiKey);
}

export function versionRange(apiKey: ApiKeyValue): ApiVersionRange {
  const r = byKey.get(apiKey);
  if (!r) throw new Error(`API key ${apiKey} is missing from SUPPORTED_APIS`);
  return r;
}

export function isSupported(apiKey: number, version: number): boolean {
  const r = byKey.get(apiKey);
  return r !== undefined && version >= r.minVersion && version <= r.maxVersion;
}
