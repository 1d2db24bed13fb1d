import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, MoreThan, Not } from 'typeorm';
import { ExecutionStatus } from '@upshift/contracts';
import { ExecutionEntity, TranscriptLineEntity } from '../database/entities';

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

  /** `tenants` limits the count to the caller's tenants (null: every tenant). */
  forStatistics(
    componentId: string,
    tenants: readonly string[] | null,
  ): Promise<Pick<ExecutionEntity, 'status' | 'startedAt' | 'completedAt'>[]> {
    return this.executions.find({
      select: { status: true, startedAt: true, completedAt: true },
      where: tenants === null ? { componentId } : { componentId, tenantId: In([...tenants]) },
    });
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
}
