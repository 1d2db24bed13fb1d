import { Check, Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { VersionChannel, VersionStatus } from '@upshift/contracts';
import { UpdatableRegistryEntityBase } from '../database/registry-entity-base';
import { ComponentEntity } from '../components/component.entity';
import { SigningKeyEntity } from '../signing-keys/signing-key.entity';

/** One release of a component. */
@Entity({ schema: 'registry', name: 'version' })
@Index('version_component_version_key', ['componentId', 'version'], { unique: true })
@Index('version_component_order_idx', ['componentId', 'major', 'minor', 'patch'])
@Check('version_channel_check', `channel IN ('stable', 'beta', 'dev')`)
@Check('version_status_check', `status IN ('draft', 'published', 'deprecated', 'yanked')`)
export class VersionEntity extends UpdatableRegistryEntityBase {
  @Column({ name: 'component_id', type: 'uuid' })
  componentId!: string;

  @ManyToOne(() => ComponentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'component_id', foreignKeyConstraintName: 'version_component_id_fkey' })
  component?: ComponentEntity;

  /** Normalised semver without build metadata, e.g. `2.1.0` or `3.0.0-beta.1`. */
  @Column({ type: 'varchar', length: 128 })
  version!: string;

  /** The numeric parts, so that SQL can order and filter by precedence. */
  @Column({ type: 'integer' })
  major!: number;

  @Column({ type: 'integer' })
  minor!: number;

  @Column({ type: 'integer' })
  patch!: number;

  @Column({ type: 'varchar', length: 128, nullable: true })
  prerelease!: string | null;

  @Column({ type: 'varchar', length: 8 })
  channel!: VersionChannel;

  @Column({ type: 'varchar', length: 16 })
  status!: VersionStatus;

  @Column({ name: 'artifact_url', type: 'text' })
  artifactUrl!: string;

  @Column({ name: 'artifact_sha256', type: 'char', length: 64 })
  artifactSha256!: string;

  @Column({ name: 'artifact_signature', type: 'text', nullable: true })
  artifactSignature!: string | null;

  /** True once published with a signature verified against one of the component's keys. */
  @Column({ type: 'boolean', default: false })
  signed!: boolean;

  @Column({ name: 'signing_key_id', type: 'uuid', nullable: true })
  signingKeyId!: string | null;

  @ManyToOne(() => SigningKeyEntity, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'signing_key_id', foreignKeyConstraintName: 'version_signing_key_id_fkey' })
  signingKey?: SigningKeyEntity | null;

  @Column({ type: 'boolean', default: false })
  breaking!: boolean;

  @Column({ name: 'requires_migration', type: 'boolean', default: false })
  requiresMigration!: boolean;

  /** A waypoint: every upgrade path that crosses it must stop at it. */
  @Column({ type: 'boolean', default: false })
  mandatory!: boolean;

  /** Whether instances on a later version may be downgraded to this one. */
  @Column({ name: 'downgrade_allowed', type: 'boolean', default: false })
  downgradeAllowed!: boolean;

  /** `{ componentName: semverRange }` that must be installed alongside. */
  @Column({ type: 'jsonb', default: {} })
  dependencies!: Record<string, string>;

  @Column({ name: 'release_notes', type: 'text', default: '' })
  releaseNotes!: string;

  /** ISO date (YYYY-MM-DD) until which the version is supported; null when open-ended. */
  @Column({ name: 'supported_until', type: 'date', nullable: true })
  supportedUntil!: string | null;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @Column({ name: 'deprecated_at', type: 'timestamptz', nullable: true })
  deprecatedAt!: Date | null;

  @Column({ name: 'yanked_at', type: 'timestamptz', nullable: true })
  yankedAt!: Date | null;

  /** Why it was yanked, when the yank said so. */
  @Column({ name: 'yank_reason', type: 'text', nullable: true })
  yankReason!: string | null;
}
