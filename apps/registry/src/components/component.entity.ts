import { Column, Entity, Unique } from 'typeorm';
import { UpdatableRegistryEntityBase } from '../database/registry-entity-base';

/** Something that has releases: a service, a broker, a database. */
@Entity({ schema: 'registry', name: 'component' })
@Unique('component_name_key', ['name'])
export class ComponentEntity extends UpdatableRegistryEntityBase {
  /** Unique; the name dependency ranges and installed-component maps refer to. */
  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  kind!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  /**
   * Bumped by a trigger whenever one of the component's versions changes; the path-validation
   * catalog cache compares it (bigint, so TypeORM reads it as a string).
   */
  @Column({
    name: 'catalog_revision',
    type: 'bigint',
    default: 0,
    select: false,
    insert: false,
    update: false,
  })
  catalogRevision!: string;
}
