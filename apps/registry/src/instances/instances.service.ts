import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { checkAgentUrl, parseAgentUrlAllowList, type AgentUrlPolicy } from '@upshift/contracts';
import { supportStatus } from '@upshift/domain';
import { type Page, pageOf } from '../common/paging';
import { RequestValidationError, ResourceNotFoundError } from '../common/registry-errors';
import { RegistryEventOutbox } from '../events/registry-event-outbox';
import { ComponentCatalogCache } from '../upgrade-paths/component-catalog-cache';
import { VersionsService } from '../versions/versions.service';
import { InstanceVersionsUpdated, InstanceView } from './dto/instance.view';
import {
  ListInstancesQuery,
  ListOutOfSupportInstancesQuery,
  RegisterInstanceRequest,
} from './dto/instance.requests';
import { InstancesRepository, type InstanceWithVersion } from './instances.repository';

@Injectable()
export class InstancesService {
  private readonly agentUrlPolicy: AgentUrlPolicy;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly versions: VersionsService,
    private readonly instances: InstancesRepository,
    private readonly events: RegistryEventOutbox,
    private readonly catalogs: ComponentCatalogCache,
    config: ConfigService,
  ) {
    this.agentUrlPolicy = parseAgentUrlAllowList(config.getOrThrow<string>('AGENT_URL_ALLOW'));
  }

  /**
   * Registers the instance, or updates the one of the same name; says which it did. The agentUrl must
   * be one workers may call (ADR 0072): checked here as written; workers and the orchestrator check
   * again, with the addresses its host resolves to then, when they connect.
   */
  async register(
    tenantId: string,
    request: RegisterInstanceRequest,
  ): Promise<{ view: InstanceView; created: boolean }> {
    const verdict = checkAgentUrl(request.agentUrl, this.agentUrlPolicy);
    if (verdict.kind === 'refused') {
      throw new RequestValidationError([
        { field: 'agentUrl', message: `agentUrl is not an allowed agent address: ${verdict.why}` },
      ]);
    }
    const { found, created } = await this.dataSource.transaction(async (manager) => {
      const version = await this.versions.require(request.componentId, request.versionId, manager);
      const { id, created } = await this.instances.upsert(manager, {
        tenantId,
        componentId: request.componentId,
        versionId: request.versionId,
        name: request.name,
        agentUrl: request.agentUrl,
        labels: request.labels ?? {},
      });
      await this.events.enqueue(manager, [
        {
          kind: 'InstanceRegistered',
          tenantId,
          instanceId: id,
          componentId: request.componentId,
          versionId: version.id,
          version: version.version,
          name: request.name,
          agentUrl: request.agentUrl,
        },
      ]);
      return { found: await this.requireRow(tenantId, id, manager), created };
    });
    return { view: await this.viewOf(found), created };
  }

  async list(tenantId: string, query: ListInstancesQuery): Promise<Page<InstanceView>> {
    const page = await this.instances.findPage(tenantId, query);
    const outOfSupport = await this.outOfSupportVersionIds(
      page.items.map(({ instance }) => instance.componentId),
    );
    return pageOf(page, ({ instance, version }) =>
      InstanceView.of(instance, version, outOfSupport.has(instance.versionId)),
    );
  }

  /**
   * The tenant's instances that are out of support (ADR 0092), in the inventory's order and paging.
   * The rule is applied to each component's catalog, not to each instance: every instance at a version
   * shares its verdict, so the database pages the instances at the versions found out of support.
   */
  async listOutOfSupport(
    tenantId: string,
    query: ListOutOfSupportInstancesQuery,
  ): Promise<Page<InstanceView>> {
    const componentIds =
      query.componentId === undefined ? await this.instances.componentIdsOf(tenantId) : [query.componentId];
    const versionIds = await this.outOfSupportVersionIds(componentIds);
    if (versionIds.size === 0) return { items: [], total: 0 };
    const page = await this.instances.findPage(tenantId, {
      componentId: query.componentId,
      versionIds: [...versionIds],
      limit: query.limit,
      offset: query.offset,
    });
    return pageOf(page, ({ instance, version }) => InstanceView.of(instance, version, true));
  }

  async get(tenantId: string, instanceId: string): Promise<InstanceView> {
    return this.viewOf(await this.requireRow(tenantId, instanceId));
  }

  /**
   * Records the version an instance now runs (the orchestrator calls this when an instance
   * completes its upgrade or is rolled back; ADR 0033).
   */
  async setVersion(tenantId: string, instanceId: string, versionId: string): Promise<InstanceView> {
    const found = await this.dataSource.transaction(async (manager) => {
      const instance = await this.instances.findOne(tenantId, instanceId, manager, true);
      if (instance === null) throw instanceNotFound(tenantId, instanceId);
      await this.versions.require(instance.componentId, versionId, manager);
      await this.instances.setVersion(manager, instanceId, versionId);
      return this.requireRow(tenantId, instanceId, manager);
    });
    return this.viewOf(found);
  }

  /**
   * Records the versions several instances now run, in one transaction (the orchestrator sends one
   * request per settled batch instead of one per instance; ADR 0033). Instances the tenant does not
   * have are reported as `missing`, not refused: one deleted instance must not hold back the others.
   * A version that is not of its instance's component refuses the whole request (404 naming it).
   */
  async setVersions(
    tenantId: string,
    updates: readonly { instanceId: string; versionId: string }[],
  ): Promise<InstanceVersionsUpdated> {
    const latest = new Map(updates.map((u) => [u.instanceId, u.versionId]));
    const instanceIds = [...latest.keys()];
    const versionIds = instanceIds.map((id) => latest.get(id) as string);
    return this.dataSource.transaction(async (manager) => {
      const checked: { id: string; found: boolean; belongs: boolean | null; version_id: string }[] =
        await manager.query(
          `SELECT u.id, i.id IS NOT NULL AS found, v.component_id = i.component_id AS belongs, u.version_id
             FROM unnest($2::uuid[], $3::uuid[]) AS u(id, version_id)
             LEFT JOIN registry.instance i ON i.id = u.id AND i.tenant_id = $1
             LEFT JOIN registry.version v ON v.id = u.version_id`,
          [tenantId, instanceIds, versionIds],
        );
      const wrong = checked.find((row) => row.found && row.belongs !== true);
      if (wrong) {
        throw new ResourceNotFoundError(
          'version',
          wrong.version_id,
          `Version ${wrong.version_id} does not exist in the component of instance ${wrong.id}.`,
        );
      }
      const found = checked.filter((row) => row.found).map((row) => row.id);
      if (found.length > 0) {
        await manager.query(
          `UPDATE registry.instance AS i SET version_id = u.version_id, updated_at = now()
             FROM unnest($2::uuid[], $3::uuid[]) AS u(id, version_id)
            WHERE i.id = u.id AND i.tenant_id = $1 AND i.version_id <> u.version_id`,
          [tenantId, instanceIds, versionIds],
        );
      }
      return { updated: found, missing: checked.filter((row) => !row.found).map((row) => row.id) };
    });
  }

  async remove(tenantId: string, instanceId: string): Promise<void> {
    if (!(await this.instances.delete(tenantId, instanceId))) throw instanceNotFound(tenantId, instanceId);
  }

  private async requireRow(
    tenantId: string,
    instanceId: string,
    manager?: EntityManager,
  ): Promise<InstanceWithVersion> {
    const found = await this.instances.findOneWithVersion(tenantId, instanceId, manager);
    if (found === null) throw instanceNotFound(tenantId, instanceId);
    return found;
  }

  /**
   * The view with its out-of-support flag. Called after a transaction has committed, never inside one:
   * loading a component's catalog takes a pooled connection of its own, and registrations that each
   * held one while waiting for another emptied the pool (10) under a fleet registering at once.
   */
  private async viewOf({ instance, version }: InstanceWithVersion): Promise<InstanceView> {
    const outOfSupport = await this.outOfSupportVersionIds([instance.componentId]);
    return InstanceView.of(instance, version, outOfSupport.has(instance.versionId));
  }

  /** The ids of the versions of these components that are out of support (libs/domain's rule). */
  private async outOfSupportVersionIds(componentIds: readonly string[]): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const componentId of new Set(componentIds)) {
      const catalog = (await this.catalogs.catalogOf(componentId)) ?? [];
      for (const candidate of catalog) {
        if (supportStatus(candidate.version, catalog).outOfSupport) ids.add(candidate.id);
      }
    }
    return ids;
  }
}

function instanceNotFound(tenantId: string, instanceId: string): ResourceNotFoundError {
  return new ResourceNotFoundError(
    'instance',
    instanceId,
    `Instance ${instanceId} does not exist in the inventory of tenant ${tenantId}.`,
  );
}
