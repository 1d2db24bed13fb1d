import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { UpdatableRegistryEntityBase } from '../database/registry-entity-base';
import { ComponentEntity } from '../components/component.entity';
import { VersionEntity } from '../versions/version.entity';

/** A running copy of a component in a tenant's fleet, reachable through its agent. */
@Entity({ schema: 'registry', name: 'instance' })
@Index('instance_tenant_component_name_key', ['tenantId', 'componentId', 'name'], { unique: true })
@Index('instance_version_idx', ['versionId'])
export class InstanceEntity extends UpdatableRegistryEntityBase {
  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ name: 'component_id', type: 'uuid' })
  componentId!: string;

  @ManyToOne(() => ComponentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'component_id', foreignKeyConstraintName: 'instance_component_id_fkey' })
  component?: ComponentEntity;

  /** The version the instance runs now; the orchestrator moves it with PATCH. */
  @Column({ name: 'version_id', type: 'uuid' })
  versionId!: string;

  @ManyToOne(() => VersionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'version_id', foreignKeyConstraintName: 'instance_version_id_fkey' })
  version?: VersionEntity;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ name: 'agent_url', type: 'text' })
  agentUrl!: string;

  @Column({ type: 'jsonb', default: {} })
  labels!: Record<string, string>;
}
