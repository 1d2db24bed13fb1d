import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SCHEMA } from '../database/entities';
import { RegistryClient } from '../registry/registry.client';

/** The registry's bulk update takes at most this many instances per request. */
const PER_REQUEST = 1000;

export interface OverdueSync {
  tenantId: string;
  executionId: string;
  instanceIds: string[];
}

/**
 * Delivers the instance versions owed to the registry's inventory (`registry_sync` rows, written in the
 * transaction that settled the instances; ADR 0033). A row is deleted only once the registry has
 * acknowledged that very version, so a failure anywhere leaves it for the retry or the recovery sweep,
 * and a newer version written meanwhile is never deleted by an older delivery.
 */
@Injectable()
export class RegistrySync {
  private readonly logger = new Logger(RegistrySync.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: RegistryClient,
  ) {}

  /** Sends what is owed for these instances; throws (so the job is retried) when the registry fails. */
  async deliver(tenantId: string, instanceIds: readonly string[]): Promise<void> {
    const owed: { instance_id: string; version_id: string }[] = await this.dataSource.query(
      `SELECT instance_id, version_id FROM ${SCHEMA}.registry_sync
        WHERE tenant_id = $1 AND instance_id = ANY($2::text[])`,
      [tenantId, instanceIds],
    );
    for (let start = 0; start < owed.length; start += PER_REQUEST) {
      const chunk = owed.slice(start, start + PER_REQUEST);
      const answer = await this.registry.recordInstanceVersions(
        tenantId,
        chunk.map((row) => ({ instanceId: row.instance_id, versionId: row.version_id })),
      );
      if (answer.missing.length > 0) {
        this.logger.warn(
          { tenantId, missing: answer.missing },
          'instances no longer in the registry; their versions are not recorded',
        );
      }
      await this.dataSource.query(
        `DELETE FROM ${SCHEMA}.registry_sync AS r
          USING unnest($1::text[], $2::uuid[]) AS d(instance_id, version_id)
          WHERE r.instance_id = d.instance_id AND r.version_id = d.version_id`,
        [chunk.map((row) => row.instance_id), chunk.map((row) => row.version_id)],
      );
    }
  }

  /** Rows older than `seconds`: what a lost job (a crash after commit, Redis down) left behind. */
  async overdue(seconds: number): Promise<OverdueSync[]> {
    const rows: { tenant_id: string; execution_id: string; instance_ids: string[] }[] =
      await this.dataSource.query(
        `SELECT tenant_id, execution_id, array_agg(instance_id) AS instance_ids FROM ${SCHEMA}.registry_sync
        WHERE recorded_at < now() - make_interval(secs => $1)
        GROUP BY tenant_id, execution_id`,
        [seconds],
      );
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      executionId: row.execution_id,
      instanceIds: row.instance_ids,
    }));
  }
}
