import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { VersionChannel, VersionStatus } from '@upshift/contracts';
import { DataSource, EntityManager, FindOptionsWhere } from 'typeorm';
import type { Page } from '../common/paging';
import { isUniqueViolation } from '../common/postgres-errors';
import { DuplicateResourceError } from '../common/registry-errors';
import { compareReleaseVersions } from './release-version';
import { VersionEntity } from './version.entity';

/** The columns the upgrade-path search reads, without the rest of each row. */
export interface CatalogRow {
  id: string;
  version: string;
  channel: VersionChannel;
  status: VersionStatus;
  mandatory: boolean;
  downgradeAllowed: boolean;
  dependencies: Record<string, string>;
  breaking: boolean;
  requiresMigration: boolean;
}

@Injectable()
export class VersionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(input: Omit<VersionEntity, 'id' | 'createdAt' | 'updatedAt'>): Promise<VersionEntity> {
    const repository = this.dataSource.getRepository(VersionEntity);
    try {
      return await repository.save(repository.create(input));
    } catch (error) {
      if (isUniqueViolation(error, 'version_component_version_key')) {
        const existing = await repository.findOneBy({
          componentId: input.componentId,
          version: input.version,
        });
        throw new DuplicateResourceError(
          'version',
          'version',
          `Version ${input.version} of component ${input.componentId} already exists` +
            (existing ? ` (id ${existing.id}, status ${existing.status})` : '') +
            '; versions are immutable, publish a new version number instead.',
          existing?.id ?? null,
        );
      }
      throw error;
    }
  }

  /**
   * One page of the component's versions in semver precedence order (oldest first). Precedence is
   * total here (version numbers are unique per component and carry no build metadata, ADR 0034), but
   * it is not an SQL order: the rows are ordered in memory, then sliced (ADR 0076).
   */
  async findPageByComponent(
    componentId: string,
    filter: { channel?: VersionChannel; status?: VersionStatus; limit: number; offset: number },
  ): Promise<Page<VersionEntity>> {
    const where: FindOptionsWhere<VersionEntity> = { componentId };
    if (filter.channel) where.channel = filter.channel;
    if (filter.status) where.status = filter.status;
    const rows = await this.dataSource.getRepository(VersionEntity).find({
      where,
      order: { major: 'ASC', minor: 'ASC', patch: 'ASC' },
    });
    // SQL orders the numeric parts; prerelease precedence (alpha.2 < alpha.10 < beta) is semver's rule.
    rows.sort((a, b) => compareReleaseVersions(a, b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { items: rows.slice(filter.offset, filter.offset + filter.limit), total: rows.length };
  }

  findInComponent(
    componentId: string,
    versionId: string,
    manager: EntityManager = this.dataSource.manager,
    lock = false,
  ): Promise<VersionEntity | null> {
    return manager.findOne(VersionEntity, {
      where: { id: versionId, componentId },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  save(manager: EntityManager, entity: VersionEntity): Promise<VersionEntity> {
    return manager.save(VersionEntity, entity);
  }

  /** The component's catalog revision (bumped by a trigger on any version change); null if no such component. */
  async catalogRevision(componentId: string): Promise<string | null> {
    const rows: { revision: string }[] = await this.dataSource.query(
      'SELECT catalog_revision::text AS revision FROM registry.component WHERE id = $1',
      [componentId],
    );
    return rows[0]?.revision ?? null;
  }

  /** Every version of the component, reduced to what path validation needs, in precedence order. */
  async catalogOf(componentId: string): Promise<CatalogRow[]> {
    const rows: CatalogRow[] = await this.dataSource.query(
      `SELECT id, version, channel, status, mandatory, downgrade_allowed AS "downgradeAllowed", dependencies,
              breaking, requires_migration AS "requiresMigration"
         FROM registry.version
        WHERE component_id = $1
        ORDER BY major, minor, patch`,
      [componentId],
    );
    return rows.sort(compareReleaseVersions);
  }
}
