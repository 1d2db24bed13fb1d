import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Topics } from '@upshift/contracts';
import type { ExecutionStatus } from '@upshift/contracts';
import { SCHEMA } from '../database/entities';

/** Where an execution's progress stands: what a stream compares its position with. */
export interface ExecutionPosition {
  id: string;
  tenantId: string;
  status: ExecutionStatus;
  /** The last `sequence` committed on upgrade.progress for the execution. */
  progressSequence: number;
  /** Epoch ms. */
  createdAt: number;
}

/** One progress event as the outbox holds it: `payload` is the envelope, byte for byte what Kafka gets. */
export interface StoredProgressEvent {
  executionId: string;
  sequence: number;
  kind: string;
  payload: string;
}

interface PositionRow {
  id: string;
  tenant_id: string;
  status: ExecutionStatus;
  progress_sequence: string;
  created_at: Date;
}

const toPosition = (row: PositionRow): ExecutionPosition => ({
  id: row.id,
  tenantId: row.tenant_id,
  status: row.status,
  progressSequence: Number(row.progress_sequence),
  createdAt: row.created_at.getTime(),
});

/**
 * The reads behind the event streams (ADR 0084): executions' positions from the execution table, and
 * the progress events themselves from the transactional outbox, through the outbox_progress_by_execution
 * index. Rows are read once committed, published yet or not: the relay publishes them unchanged.
 */
@Injectable()
export class ProgressLog {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async position(executionId: string): Promise<ExecutionPosition | null> {
    const rows = await this.dataSource.query<PositionRow[]>(
      `SELECT id, tenant_id, status, progress_sequence, created_at FROM ${SCHEMA}.execution WHERE id = $1`,
      [executionId],
    );
    return rows[0] ? toPosition(rows[0]) : null;
  }

  /**
   * The tenant's executions a tenant stream follows: those it knows (`ids`), those created since
   * `sinceMs`, and (when `withActive`) every one not yet terminal; with the database's clock.
   */
  async tenantPositions(
    tenantId: string,
    ids: readonly string[],
    sinceMs: number,
    withActive: boolean,
  ): Promise<{ nowMs: number; positions: ExecutionPosition[] }> {
    const rows = await this.dataSource.query<(PositionRow & { now: Date })[]>(
      `SELECT id, tenant_id, status, progress_sequence, created_at, now() AS now
         FROM ${SCHEMA}.execution
        WHERE tenant_id = $1
          AND (id = ANY($2::uuid[]) OR created_at >= $3
               OR ($4 AND status NOT IN ('COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED')))`,
      [tenantId, ids, new Date(sinceMs), withActive],
    );
    const nowMs = rows[0]?.now.getTime() ?? (await this.nowMs());
    return { nowMs, positions: rows.map(toPosition) };
  }

  async nowMs(): Promise<number> {
    const [row] = await this.dataSource.query<[{ now: Date }]>('SELECT now() AS now');
    return row.now.getTime();
  }

  /**
   * Progress events after each given sequence, at most `limit` per execution, each execution's in
   * sequence order; executions interleaved in outbox id order (within one execution the same order,
   * since its row lock serialises the transactions that write them).
   */
  async eventsAfter(
    after: readonly { executionId: string; sequence: number }[],
    limit: number,
  ): Promise<StoredProgressEvent[]> {
    if (after.length === 0) return [];
    const rows = await this.dataSource.query<
      { execution_id: string; sequence: string; kind: string; payload: string }[]
    >(
      `SELECT c.key AS execution_id, o.sequence, o.kind, o.payload
         FROM unnest($1::text[], $2::bigint[]) AS c(key, after)
         CROSS JOIN LATERAL (
           SELECT id, (payload->>'sequence')::bigint AS sequence, payload->'data'->>'kind' AS kind,
                  payload::text AS payload
             FROM ${SCHEMA}.outbox
            WHERE topic = $3 AND message_key = c.key AND (payload->>'sequence')::bigint > c.after
            ORDER BY (payload->>'sequence')::bigint
            LIMIT $4
         ) o
        ORDER BY o.id`,
      [after.map((a) => a.executionId), after.map((a) => a.sequence), Topics.PROGRESS, limit],
    );
    return rows.map((row) => ({
      executionId: row.execution_id,
      sequence: Number(row.sequence),
      kind: row.kind,
      payload: row.payload,
    }));
  }
}
