import type { TopicConfig } from '../log/log-manager';

/** Kafka's ConfigSource and ConfigType codes (DescribeConfigs). */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, LIST: 7 } as const;

export interface ConfigEntry {
  name: string;
  value: string;
  /** Set explicitly for this topic (DYNAMIC_TOPIC_CONFIG) rather than a default. */
  explicit: boolean;
  type: number;
}

/** The effective configuration of a topic, by Kafka config name. */
export function topicConfigEntries(config: TopicConfig): ConfigEntry[] {
  const effective: [string, string, number][] = [
    ['cleanup.policy', config.cleanupPolicy, ConfigType.LIST],
    ['retention.ms', String(config.retentionMs), ConfigType.LONG],
    ['retention.bytes', String(config.retentionBytes), ConfigType.LONG],
    ['segment.bytes', String(config.segmentBytes), ConfigType.INT],
    ['min.compaction.lag.ms', String(config.minCompactionLagMs), ConfigType.LONG],
    ['delete.retention.ms', String(config.deleteRetentionMs), ConfigType.LONG],
  ];
  const entries: ConfigEntry[] = effective.map(([name, value, type]) => ({
    name,
    value,
    explicit: name in config.raw,
    type,
  }));
  for (const [name, value] of Object.entries(config.raw)) {
    if (!entries.some((e) => e.name === name))
      entries.push({ name, value, explicit: true, type: ConfigType.STRING });
  }
  return entries;
}
