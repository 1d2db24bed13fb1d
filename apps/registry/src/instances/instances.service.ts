import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { checkAgentUrl, parseAgentUrlAllowList, type AgentUrlPolicy } from '@upshift/contracts';
import { type Page, pageOf } from '../common/paging';
import { RequestValidationError, ResourceNotFoundError } from '../common/registry-errors';
import { RegistryEventOutbox } from '../events/registry-event-outbox';
import { VersionsService } from '../versions/versions.service';
import { InstanceVersionsUpdated, InstanceView } from './dto/instance.view';
import { ListInstancesQuery, RegisterInstanceRequest } from './dto/instance.requests';
import { InstancesRepository } from './instances.repository';

@Injectable()
export class InstancesService {
  private readonly agentUrlPolicy: AgentUrlPolicy;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly versions: VersionsService,
    private readonly instances: InstancesRepository,
    private readonly events: RegistryEventOutbox,
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
    return this.dataSource.transaction(async (manager) => {
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
      return { view: await this.requireView(tenantId, id, manager), created };
    });
  }

  async list(tenantId: string, query: ListInstancesQuery): Promise<Page<InstanceView>> {
    const page = await this.instances.findPage(tenantId, query);
    return pageOf(page, ({ instance, version }) => InstanceView.of(instance, version));
  }

  get(tenantId: string, instanceId: string): Promise<InstanceView> {
    return this.requireView(tenantId, instanceId);
  }

  /**
   * Records the version an instance now runs (the orchestrator calls this when an instance
   * completes its upgrade or is rolled back; ADR 0033).
   */
  async setVersion(tenantId: string, instanceId: string, versionId: string): Promise<InstanceView> {
    return this.dataSource.transaction(async (manager) => {
      const instance = await this.instances.findOne(tenantId, instanceId, manager, true);
      if (instance === null) throw instanceNotFound(tenantId, instanceId);
      await this.versions.require(instance.componentId, versionId, manager);
      await this.instances.setVersion(manager, instanceId, versionId);
      return this.requireView(tenantId, instanceId, manager);
    });
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

  private async requireView(
    tenantId: string,
    instanceId: string,
    manager?: EntityManager,
  ): Promise<InstanceView> {
    const found = await this.instances.findOneWithVersion(tenantId, instanceId, manager);
    if (found === null) throw instanceNotFound(tenantId, instanceId);
    return InstanceView.of(found.instance, found.version);
  }
}

function instanceNotFound(tenantId: string, instanceId: string): ResourceNotFoundError {
  return new ResourceNotFoundError(
    'instance',
    instanceId,
    `Instance ${instanceId} does not exist in the inventory of tenant ${tenantId}.`,
  );
}
