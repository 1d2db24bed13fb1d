import type { InstanceCommandResult } from '@upshift/contracts';
import type { StoredValue } from '../lease/instance-lease';

/**
 * Definitive results by commandId, shared by all workers: a command delivered again (Kafka is
 * at-least-once) is answered by re-reporting its first result instead of running it again. The
 * results live in Redis next to the instance leases and travel in the lease scripts' round trips
 * (InstanceLeases.acquire looks them up, InstanceLease.release stores them); this class owns their
 * keys, lifetime and encoding.
 */
export class ResultCache {
  constructor(
    private readonly prefix: string,
    private readonly ttlSeconds = 24 * 3600,
  ) {}

  key(commandId: string): string {
    return `${this.prefix}:result:${commandId}`;
  }

  entry(result: InstanceCommandResult): StoredValue {
    return { key: this.key(result.commandId), value: JSON.stringify(result), ttlSeconds: this.ttlSeconds };
  }

  parse(stored: string): InstanceCommandResult {
    return JSON.parse(stored) as InstanceCommandResult;
  }
}
