/**
 * Topic configuration: Kafka's config names and defaults, validation of what CreateTopics sends,
 * and the typed view the log works from. Only the explicitly set values are persisted (`raw`), so a
 * changed broker default applies to every topic that did not set it, as in Kafka.
 */
export interface TopicConfig {
  partitions: number;
  cleanupPolicy: 'delete' | 'compact';
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  minCompactionLagMs: number;
  deleteRetentionMs: number;
  /** The configs set explicitly at creation (Kafka names → values); everything else is a default. */
  raw: Record<string, string>;
}

/** Kafka's defaults for the topic configs this log honours, plus the ones it accepts and reports. */
export const TOPIC_CONFIG_DEFAULTS: Readonly<Record<string, string>> = {
  'cleanup.policy': 'delete',
  'compression.type': 'producer',
  'delete.retention.ms': '86400000',
  'file.delete.delay.ms': '60000',
  'flush.messages': '9223372036854775807',
  'flush.ms': '9223372036854775807',
  'index.interval.bytes': '4096',
  'max.compaction.lag.ms': '9223372036854775807',
  'max.message.bytes': '1048588',
  'message.timestamp.type': 'CreateTime',
  'min.cleanable.dirty.ratio': '0.5',
  'min.compaction.lag.ms': '0',
  'min.insync.replicas': '1',
  preallocate: 'false',
  'retention.bytes': '-1',
  'retention.ms': '604800000',
  'segment.bytes': '1073741824',
  'segment.index.bytes': '10485760',
  'segment.jitter.ms': '0',
  'segment.ms': '604800000',
  'unclean.leader.election.enable': 'false',
};

/** Configs Kafka knows that this broker accepts and stores without acting on them. */
const ACCEPTED_ONLY = new Set([
  'follower.replication.throttled.replicas',
  'leader.replication.throttled.replicas',
  'local.retention.bytes',
  'local.retention.ms',
  'message.downconversion.enable',
  'message.format.version',
  'message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms',
  'message.timestamp.difference.max.ms',
  'remote.storage.enable',
]);

export class InvalidConfigError extends Error {
  /** Kafka's INVALID_CONFIG. */
  readonly code = 40;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidConfigError';
  }
}

const LONG = /^-?\d+$/;

function parseLong(name: string, value: string, min: number): number {
  if (!LONG.test(value)) throw new InvalidConfigError(`${name}=${value} is not an integer`);
  const n = Number(value);
  if (n < min) throw new InvalidConfigError(`${name}=${value} is below its minimum ${min}`);
  // Kafka's "forever" is Long.MAX_VALUE; as a double it is still larger than any real duration.
  return n;
}

function parseCleanupPolicy(value: string): { compact: boolean; delete: boolean } {
  const parts = value.split(',').map((p) => p.trim().toLowerCase());
  if (parts.length === 0 || parts.some((p) => p !== 'compact' && p !== 'delete')) {
    throw new InvalidConfigError(`cleanup.policy=${value} must be delete, compact, or compact,delete`);
  }
  return { compact: parts.includes('compact'), delete: parts.includes('delete') };
}

/** Checks names and values; throws InvalidConfigError naming the first problem. */
export function validateTopicConfigs(configs: Record<string, string>): void {
  for (const [name, value] of Object.entries(configs)) {
    if (!(name in TOPIC_CONFIG_DEFAULTS) && !ACCEPTED_ONLY.has(name)) {
      throw new InvalidConfigError(`unknown topic config ${name}`);
    }
    if (typeof value !== 'string') throw new InvalidConfigError(`${name} needs a string value`);
  }
  resolveTopicConfig(1, configs);
}

/** The effective config of a topic: explicit values over broker defaults over Kafka's defaults. */
export function resolveTopicConfig(
  partitions: number,
  raw: Record<string, string>,
  brokerDefaults: Record<string, string> = {},
): TopicConfig & {
  deleteAlongsideCompact: boolean;
  segmentMs: number;
  maxMessageBytes: number;
  logAppendTime: boolean;
  indexIntervalBytes: number;
} {
  const get = (name: string): string => raw[name] ?? brokerDefaults[name] ?? TOPIC_CONFIG_DEFAULTS[name];
  const policy = parseCleanupPolicy(get('cleanup.policy'));
  const timestampType = get('message.timestamp.type');
  if (timestampType !== 'CreateTime' && timestampType !== 'LogAppendTime') {
    throw new InvalidConfigError(
      `message.timestamp.type=${timestampType} must be CreateTime or LogAppendTime`,
    );
  }
  return {
    partitions,
    cleanupPolicy: policy.compact ? 'compact' : 'delete',
    deleteAlongsideCompact: policy.compact && policy.delete,
    retentionMs: parseLong('retention.ms', get('retention.ms'), -1),
    retentionBytes: parseLong('retention.bytes', get('retention.bytes'), -1),
    segmentBytes: parseLong('segment.bytes', get('segment.bytes'), 14),
    segmentMs: parseLong('segment.ms', get('segment.ms'), 1),
    minCompactionLagMs: parseLong('min.compaction.lag.ms', get('min.compaction.lag.ms'), 0),
    deleteRetentionMs: parseLong('delete.retention.ms', get('delete.retention.ms'), 0),
    maxMessageBytes: parseLong('max.message.bytes', get('max.message.bytes'), 0),
    indexIntervalBytes: parseLong('index.interval.bytes', get('index.interval.bytes'), 0),
    logAppendTime: timestampType === 'LogAppendTime',
    raw: { ...raw },
  };
}

export type ResolvedTopicConfig = ReturnType<typeof resolveTopicConfig>;

const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

export class InvalidTopicError extends Error {
  /** Kafka's INVALID_TOPIC_EXCEPTION. */
  readonly code = 17;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTopicError';
  }
}

/** Kafka's topic name rules: 1–249 characters of [a-zA-Z0-9._-], not "." or "..". */
export function checkTopicName(name: string): void {
  if (name.length === 0 || name.length > 249)
    throw new InvalidTopicError(`topic name must be 1–249 characters: "${name}"`);
  if (name === '.' || name === '..') throw new InvalidTopicError(`topic name cannot be "${name}"`);
  if (!LEGAL_TOPIC_NAME.test(name)) {
    throw new InvalidTopicError(`topic name "${name}" may only contain letters, digits, ".", "_" and "-"`);
  }
}
