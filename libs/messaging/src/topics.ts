import { Topics } from '@upshift/contracts';
import type { TopicName } from '@upshift/contracts';
import type { Kafka } from 'kafkajs';

export interface TopicLayout {
  /** Partitions per topic; keys spread executions and instances over them. */
  partitions?: number;
  replicationFactor?: number;
}

/** Topic settings that matter for correctness: the snapshot topic must be compacted. */
export const TOPIC_CONFIGS: Record<TopicName, Record<string, string>> = {
  [Topics.COMMANDS]: {},
  [Topics.RESULTS]: {},
  [Topics.PROGRESS]: {},
  [Topics.EXECUTIONS]: { 'cleanup.policy': 'compact' },
  [Topics.DLQ]: {},
  [Topics.REGISTRY_EVENTS]: {},
  [Topics.AUDIT_EVENTS]: {},
};

/**
 * Creates the Upshift topics that do not exist yet (existing topics are left as they are). Apps call it
 * at start-up, so that consumers can subscribe before the first message is produced.
 */
export async function ensureTopics(
  kafka: Kafka,
  { partitions = 3, replicationFactor = 1 }: TopicLayout = {},
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = (Object.keys(TOPIC_CONFIGS) as TopicName[]).filter((t) => !existing.has(t));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor,
        configEntries: Object.entries(TOPIC_CONFIGS[topic]).map(([name, value]) => ({ name, value })),
      })),
    });
    return missing;
  } finally {
    await admin.disconnect();
  }
}
