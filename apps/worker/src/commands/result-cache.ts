import type { InstanceCommandResult } from '@upshift/contracts';
import type { StoredValue } from '../lease/instance-lease';

/**
 * Definitive final reports by commandId, shared by all workers: a command delivered again (Kafka is
 * at-least-once) is answered by re-publishing its final report, with every step of the command (not
 * only those of the last report; ADR 0082), instead of running it again. The
 * results live in Redis next to the instance leases and travel in the lease scripts' round trips
 * (InstanceLeases.acquire looks them up, InstanceLease.release stores them); this class owns their
 * keys, lifetime and encoding.
 */
export class ResultCache {
  constructor(
    private readonly prefix: string,
    private readonly ttlSeconds = 24 * 3600,
  ) {}

  /**
   * `report`, not the `result` of the one-step commands before ADR 0082: a result cached by an older
   * worker (no steps) is never replayed as a report.
   */
  key(commandId: string): string {
    return `${this.prefix}:report:${commandId}`;
  }

  entry(result: InstanceCommandResult): StoredValue {
    return { key: this.key(result.commandId), value: JSON.stringify(result), ttlSeconds: this.ttlSeconds };
  }

  parse(stored: string): InstanceCommandResult {
    return JSON.parse(stored) as InstanceCommandResult;
  }
}
