import type { Admin, Kafka } from 'kafkajs';

export type KafkaHealth =
  | { status: 'up'; brokers: number; controller: number | null; clusterId: string; latencyMs: number }
  | { status: 'down'; error: string; latencyMs: number };

/**
 * One round trip to the cluster (admin describeCluster) bounded by `timeoutMs`. Never throws: it
 * answers `down` with the reason, which a Terminus indicator turns into its own result.
 */
export async function checkKafka(
  kafka: Kafka,
  { timeoutMs = 2_000, admin }: { timeoutMs?: number; admin?: Admin } = {},
): Promise<KafkaHealth> {
  const started = Date.now();
  const client = admin ?? kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Kafka within ${timeoutMs} ms`)), timeoutMs);
    });
    const cluster = await Promise.race([
      (async () => {
        if (!admin) await client.connect();
        return client.describeCluster();
      })(),
      timeout,
    ]);
    return {
      status: 'up',
      brokers: cluster.brokers.length,
      controller: cluster.controller,
      clusterId: cluster.clusterId,
      latencyMs: Date.now() - started,
    };
  } catch (error) {
    return {
      status: 'down',
      error: error instanceof Error ? error.message : String(error),
      latencyMs: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
    if (!admin) await client.disconnect().catch(() => undefined);
  }
}
