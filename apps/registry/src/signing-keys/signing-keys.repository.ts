import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Page } from '../common/paging';
import { isUniqueViolation } from '../common/postgres-errors';
import { DuplicateResourceError } from '../common/registry-errors';
import { SigningKeyEntity } from './signing-key.entity';

@Injectable()
export class SigningKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(input: {
    componentId: string;
    publicKeyPem: string;
    fingerprint: string;
  }): Promise<SigningKeyEntity> {
    const repository = this.dataSource.getRepository(SigningKeyEntity);
    try {
      return await repository.save(repository.create(input));
    } catch (error) {
      if (isUniqueViolation(error, 'signing_key_component_fingerprint_key')) {
        const existing = await repository.findOneBy({
          componentId: input.componentId,
          fingerprint: input.fingerprint,
        });
        throw new DuplicateResourceError(
          'signing key',
          'publicKey',
          `This key (fingerprint ${input.fingerprint}) is already registered for component ${input.componentId}.`,
          existing?.id ?? null,
        );
      }
      throw error;
    }
  }

  findByComponent(
    componentId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<SigningKeyEntity[]> {
    return manager.find(SigningKeyEntity, { where: { componentId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** One page of the component's keys, oldest first (the id breaks ties between keys added together). */
  async findPageByComponent(
    componentId: string,
    window: { limit: number; offset: number },
  ): Promise<Page<SigningKeyEntity>> {
    const [items, total] = await this.dataSource.manager.findAndCount(SigningKeyEntity, {
      where: { componentId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: window.limit,
      skip: window.offset,
    });
    return { items, total };
  }

  /** Whether the component trusts at least one key, i.e. whether its versions must be signed (ADR 0073). */
  hasKeys(componentId: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    return manager.exists(SigningKeyEntity, { where: { componentId } });
  }
}
