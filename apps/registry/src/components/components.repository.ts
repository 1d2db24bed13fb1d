import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DuplicateResourceError } from '../common/registry-errors';
import type { Page } from '../common/paging';
import { isUniqueViolation } from '../common/postgres-errors';
import { ComponentEntity } from './component.entity';

@Injectable()
export class ComponentsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(input: { name: string; kind: string; description: string }): Promise<ComponentEntity> {
    const repository = this.dataSource.getRepository(ComponentEntity);
    try {
      return await repository.save(repository.create(input));
    } catch (error) {
      if (isUniqueViolation(error, 'component_name_key')) {
        const existing = await repository.findOneBy({ name: input.name });
        throw new DuplicateResourceError(
          'component',
          'name',
          `A component named "${input.name}" already exists; use its id or choose another name.`,
          existing?.id ?? null,
        );
      }
      throw error;
    }
  }

  /**
   * One page by name in byte order (COLLATE "C"): the same order whatever the database's locale; names
   * are unique, the id only makes the order total on its face.
   */
  async findPage(window: { limit: number; offset: number }): Promise<Page<ComponentEntity>> {
    const [items, total] = await this.dataSource
      .getRepository(ComponentEntity)
      .createQueryBuilder('component')
      .orderBy('component.name COLLATE "C"', 'ASC')
      .addOrderBy('component.id', 'ASC')
      .limit(window.limit)
      .offset(window.offset)
      .getManyAndCount();
    return { items, total };
  }

  findById(id: string, manager: EntityManager = this.dataSource.manager): Promise<ComponentEntity | null> {
    return manager.findOneBy(ComponentEntity, { id });
  }
}
