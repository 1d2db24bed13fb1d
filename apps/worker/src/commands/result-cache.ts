import type Redis from 'ioredis';
import type { InstanceCommandResult } from '@upshift/contracts';

/**
 * Definitive results by commandId, shared by all workers: a command delivered again (Kafka is
 * at-least-once) is answered by re-reporting its first result instead of running it again.
 */
export class ResultCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds = 24 * 3600,
  ) {}

  private key(commandId: string): string {
    return `${this.prefix}:result:${commandId}`;
  }

  async get(commandId: string): Promise<InstanceCommandResult | null> {
    const text = await this.redis.get(this.key(commandId));
    return text ? (JSON.parse(text) as InstanceCommandResult) : null;
  }

  async put(result: InstanceCommandResult): Promise<void> {
    await this.redis.set(this.key(result.commandId), JSON.stringify(result), 'EX', this.ttlSeconds);
  }
}
