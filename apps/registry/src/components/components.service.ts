import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { type Page, pageOf } from '../common/paging';
import { ResourceNotFoundError } from '../common/registry-errors';
import { ComponentEntity } from './component.entity';
import { ComponentsRepository } from './components.repository';
import { ComponentView } from './dto/component.view';
import { CreateComponentRequest } from './dto/create-component.request';

@Injectable()
export class ComponentsService {
  constructor(private readonly components: ComponentsRepository) {}

  async create(request: CreateComponentRequest): Promise<ComponentView> {
    const entity = await this.components.insert({
      name: request.name,
      kind: request.kind,
      description: request.description ?? '',
    });
    return ComponentView.of(entity);
  }

  async list(window: { limit: number; offset: number }): Promise<Page<ComponentView>> {
    return pageOf(await this.components.findPage(window), (entity) => ComponentView.of(entity));
  }

  async get(componentId: string): Promise<ComponentView> {
    return ComponentView.of(await this.require(componentId));
  }

  /** The component, or a 404 naming it; other features call this before touching a component's rows. */
  async require(componentId: string, manager?: EntityManager): Promise<ComponentEntity> {
    const entity = await this.components.findById(componentId, manager);
    if (entity === null) {
      throw new ResourceNotFoundError('component', componentId, `Component ${componentId} does not exist.`);
    }
    return entity;
  }
}
