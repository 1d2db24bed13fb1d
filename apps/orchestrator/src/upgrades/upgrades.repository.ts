import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, MoreThan, Not } from 'typeorm';
import { ExecutionStatus, InstanceStatus } from '@upshift/contracts';
import type { OutcomeTally } from '@upshift/domain';
import { ExecutionEntity, ExecutionInstanceEntity, TranscriptLineEntity } from '../database/entities';

const TERMINAL: ExecutionStatus[] = [
  ExecutionStatus.COMPLETED,
  ExecutionStatus.FAILED,
  ExecutionStatus.ROLLED_BACK,
  ExecutionStatus.CANCELLED,
];

/** Read queries of the REST API (state changes go through ExecutionStore). */
@Injectable()
export class UpgradesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get executions() {
    return this.dataSource.getRepository(ExecutionEntity);
  }

  findActive(tenantId: string, componentId: string): Promise<ExecutionEntity | null> {
    return this.executions.findOne({ where: { tenantId, componentId, status: Not(In(TERMINAL)) } });
  }

  async page(
    tenantId: string,
    status: ExecutionStatus | undefined,
    page: number,
    size: number,
  ): Promise<{ rows: ExecutionEntity[]; total: number }> {
    const [rows, total] = await this.executions.findAndCount({
      where: status === undefined ? { tenantId } : { tenantId, status },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: page * size,
      take: size,
    });
    return { rows, total };
  }

  /**
   * The component's executions tallied by status in one grouped query (at most one row per status), so
   * the statistics never load an unbounded list. `tenants` limits them to the caller's tenants (null: all).
   */
  async statisticsTallies(componentId: string, tenants: readonly string[] | null): Promise<OutcomeTally[]> {
    const timed = 'started_at IS NOT NULL AND completed_at IS NOT NULL AND completed_at >= started_at';
    const rows: {
      status: ExecutionStatus;
      executions: number;
      duration_seconds: number;
      timed_executions: number;
    }[] = await this.dataSource.query(
      `SELECT status, count(*)::int AS executions,
                coalesce(sum(extract(epoch FROM completed_at - started_at)) FILTER (WHERE ${timed}), 0)::float8
                  AS duration_seconds,
                count(*) FILTER (WHERE ${timed})::int AS timed_executions
           FROM orchestrator.execution
          WHERE component_id = $1 AND ($2::text[] IS NULL OR tenant_id = ANY($2::text[]))
          GROUP BY status`,
      [componentId, tenants === null ? null : [...tenants]],
    );
    return rows.map((row) => ({
      status: row.status,
      executions: row.executions,
      durationSeconds: row.duration_seconds,
      timedExecutions: row.timed_executions,
    }));
  }

  /**
   * Up to `limit` lines after line `after` (from the start when null), oldest first, and whether more
   * follow: one extra row is read to know, instead of a count over a transcript that keeps growing.
   */
  async transcriptPage(
    executionId: string,
    after: string | null,
    limit: number,
  ): Promise<{ lines: TranscriptLineEntity[]; more: boolean }> {
    const rows = await this.dataSource.getRepository(TranscriptLineEntity).find({
      where: after === null ? { executionId } : { executionId, id: MoreThan(after) },
      order: { id: 'ASC' },
      take: limit + 1,
    });
    return { lines: rows.slice(0, limit), more: rows.length > limit };
  }

  /** The execution's tenant, or null when there is no such execution: one row, no instances loaded. */
  async tenantOf(executionId: string): Promise<string | null> {
    const row = await this.executions.findOne({
      where: { id: executionId },
      select: { id: true, tenantId: true },
    });
    return row?.tenantId ?? null;
  }

  /**
   * Up to `limit` instances placed after `afterPosition` (from the first when null), in the order batches
   * take them, optionally of one status, and whether more follow (one extra row is read to know).
   */
  async instancePage(
    executionId: string,
    status: InstanceStatus | undefined,
    afterPosition: number | null,
    limit: number,
  ): Promise<{ instances: ExecutionInstanceEntity[]; more: boolean }> {
    const rows = await this.dataSource.getRepository(ExecutionInstanceEntity).find({
      where: {
        executionId,
        ...(status === undefined ? {} : { status }),
        ...(afterPosition === null ? {} : { position: MoreThan(afterPosition) }),
      },
      order: { position: 'ASC' },
      take: limit + 1,
    });
    return { instances: rows.slice(0, limit), more: rows.length > limit };
  }
}
