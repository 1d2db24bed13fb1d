import type { Client } from 'pg';
import type { Logger } from './logger';

const PRUNE_INTERVAL_MS = 60_000;
const PRUNE_BATCH = 5_000;

/**
 * Keeps `<schema>.outbox` small (ADR 0021, retention): at most once a minute, deletes up to 5,000
 * published rows older than `retentionMs`. Bounded batches keep each DELETE short, so the leader's
 * publishing is never held up for long; a larger backlog shrinks over the following minutes.
 */
export class OutboxHousekeeping {
  private lastPrune = 0;

  /**
   * @param table the quoted `<schema>.outbox` table
   * @param retentionMs published rows older than this are deleted; 0 keeps them forever
   */
  constructor(
    private readonly table: string,
    private readonly retentionMs: number,
    private readonly logger: Logger,
  ) {}

  /** Prunes if retention is on and the last prune is at least a minute ago; otherwise does nothing. */
  async pruneIfDue(client: Client): Promise<void> {
    if (this.retentionMs <= 0 || Date.now() - this.lastPrune < PRUNE_INTERVAL_MS) return;
    this.lastPrune = Date.now();
    const result = await client.query(
      `DELETE FROM ${this.table} WHERE id IN (
         SELECT id FROM ${this.table}
          WHERE published_at IS NOT NULL
            AND published_at < now() - make_interval(secs => $1::double precision / 1000)
          LIMIT $2)`,
      [this.retentionMs, PRUNE_BATCH],
    );
    if ((result.rowCount ?? 0) > 0) {
      this.logger.info({ event: 'relay.pruned', rows: result.rowCount }, 'deleted old published outbox rows');
    }
  }
}
