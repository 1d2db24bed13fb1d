import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Page } from '../common/paging';
import { InstanceEntity } from './instance.entity';

export interface InstanceWithVersion {
  instance: InstanceEntity;
  /** The semver string of `instance.versionId`. */
  version: string;
}

interface UpsertRow {
  id: string;
  inserted: boolean;
}

@Injectable()
export class InstancesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Inserts the instance, or updates the one with the same tenant, component and name (the agent
   * re-registers on every start). One statement, so concurrent registrations cannot duplicate it.
   */
  async upsert(
    manager: EntityManager,
    input: Pick<InstanceEntity, 'tenantId' | 'componentId' | 'versionId' | 'name' | 'agentUrl' | 'labels'>,
  ): Promise<{ id: string; created: boolean }> {
    const rows: UpsertRow[] = await manager.query(
      `INSERT INTO registry.instance (tenant_id, component_id, version_id, name, agent_url, labels)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant_id, component_id, name) DO UPDATE
         SET version_id = EXCLUDED.version_id, agent_url = EXCLUDED.agent_url, labels = EXCLUDED.labels,
             updated_at = now()
       RETURNING id, (xmax = 0) AS inserted`,
      [
        input.tenantId,
        input.componentId,
        input.versionId,
        input.name,
        input.agentUrl,
        JSON.stringify(input.labels),
      ],
    );
    const row = rows[0];
    if (row === undefined) throw new Error('instance upsert returned no row');
    return { id: row.id, created: row.inserted };
  }

  /** One page of the tenant's instances (optionally of one component or version) by name, then id. */
  async findPage(
    tenantId: string,
    filter: {
      componentId?: string;
      versionId?: string;
      /** Only instances at one of these versions (an empty list matches none). */
      versionIds?: readonly string[];
      limit: number;
      offset: number;
    },
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Page<InstanceWithVersion>> {
    const query = manager
      .createQueryBuilder(InstanceEntity, 'instance')
      .leftJoinAndSelect('instance.version', 'version')
      .where('instance.tenantId = :tenantId', { tenantId });
    if (filter.componentId)
      query.andWhere('instance.componentId = :componentId', { componentId: filter.componentId });
    if (filter.versionId) query.andWhere('instance.versionId = :versionId', { versionId: filter.versionId });
    if (filter.versionIds !== undefined) {
      query.andWhere('instance.versionId = ANY(:versionIds)', { versionIds: [...filter.versionIds] });
    }
    // Byte order (COLLATE "C"): the same order whatever the database's locale. Names repeat across
    // components, so the id breaks ties and every row has one place in the order. limit/offset (not
    // take/skip) page the SQL itself: the join is to one version per row, so rows are not multiplied.
    const [rows, total] = await query
      .orderBy('instance.name COLLATE "C"', 'ASC')
      .addOrderBy('instance.id', 'ASC')
      .limit(filter.limit)
      .offset(filter.offset)
      .getManyAndCount();
    return { items: rows.map((instance) => ({ instance, version: instance.version?.version ?? '' })), total };
  }

  /** The components the tenant has instances of. */
  async componentIdsOf(
    tenantId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string[]> {
    const rows: { component_id: string }[] = await manager.query(
      'SELECT DISTINCT component_id FROM registry.instance WHERE tenant_id = $1',
      [tenantId],
    );
    return rows.map((row) => row.component_id);
  }

  async findOne(
    tenantId: string,
    instanceId: string,
    manager: EntityManager = this.dataSource.manager,
    lock = false,
  ): Promise<InstanceEntity | null> {
    return manager.findOne(InstanceEntity, {
      where: { tenantId, id: instanceId },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  async findOneWithVersion(
    tenantId: string,
    instanceId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<InstanceWithVersion | null> {
    const instance = await manager.findOne(InstanceEntity, {
      where: { tenantId, id: instanceId },
      relations: { version: true },
    });
    return instance === null ? null : { instance, version: instance.version?.version ?? '' };
  }

  async setVersion(manager: EntityManager, instanceId: string, versionId: string): Promise<void> {
    await manager.update(InstanceEntity, { id: instanceId }, { versionId });
  }

  async delete(tenantId: string, instanceId: string): Promise<boolean> {
    const result = await this.dataSource.manager.delete(InstanceEntity, { tenantId, id: instanceId });
    return (result.affected ?? 0) > 0;
  }
}
