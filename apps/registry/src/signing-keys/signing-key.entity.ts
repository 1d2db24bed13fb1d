import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { RegistryEntityBase } from '../database/registry-entity-base';
import { ComponentEntity } from '../components/component.entity';

/** An ed25519 public key trusted to sign a component's artifacts (docs/signing.md). */
@Entity({ schema: 'registry', name: 'signing_key' })
@Index('signing_key_component_fingerprint_key', ['componentId', 'fingerprint'], { unique: true })
export class SigningKeyEntity extends RegistryEntityBase {
  @Column({ name: 'component_id', type: 'uuid' })
  componentId!: string;

  @ManyToOne(() => ComponentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'component_id', foreignKeyConstraintName: 'signing_key_component_id_fkey' })
  component?: ComponentEntity;

  /** SubjectPublicKeyInfo PEM, whatever form it was submitted in. */
  @Column({ name: 'public_key_pem', type: 'text' })
  publicKeyPem!: string;

  /** Lower-case hex SHA-256 of the 32 raw public-key bytes. */
  @Column({ type: 'char', length: 64 })
  fingerprint!: string;
}
