import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ResourceNotFoundError } from '../common/registry-errors';
import { RegistryEventOutbox } from '../events/registry-event-outbox';
import { VersionsService } from '../versions/versions.service';
import { InstanceView } from './dto/instance.view';
import { ListInstancesQuery, RegisterInstanceRequest } from './dto/instance.requests';
import { InstancesRepository } from './instances.repository';

@Injectable()
export class InstancesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly versions: VersionsService,
    private readonly instances: InstancesRepository,
    private readonly events: RegistryEventOutbox,
  ) {}

  /** Registers the instance, or updates the one of the same name; says which it did. */
  async register(
    tenantId: string,
    request: RegisterInstanceRequest,
  ): Promise<{ view: InstanceView; created: boolean }> {
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

  async list(tenantId: string, query: ListInstancesQuery): Promise<InstanceView[]> {
    const rows = await this.instances.find(tenantId, query);
    return rows.map(({ instance, version }) => InstanceView.of(instance, version));
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
