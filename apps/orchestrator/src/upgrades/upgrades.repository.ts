import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, Not } from 'typeorm';
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

  forStatistics(
    componentId: string,
  ): Promise<Pick<ExecutionEntity, 'status' | 'startedAt' | 'completedAt'>[]> {
    return this.executions.find({
      select: { status: true, startedAt: true, completedAt: true },
      where: { componentId },
    });
  }

  transcript(executionId: string): Promise<TranscriptLineEntity[]> {
    return this.dataSource
      .getRepository(TranscriptLineEntity)
      .find({ where: { executionId }, order: { id: 'ASC' } });
  }
}
