import { CreateDateColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * The columns every registry table starts with: a uuid key the database generates
 * (`gen_random_uuid()` in the migrations) and the time the row was created. Declared once so that
 * the tables cannot drift apart in type or column name; the schema-drift check in
 * apps/registry/test/platform.e2e.spec.ts proves the entities still match the migrations.
 */
export abstract class RegistryEntityBase {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A registry row that changes after it is created, and records when it last did. */
export abstract class UpdatableRegistryEntityBase extends RegistryEntityBase {
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
