import { DataSource, DataSourceOptions } from 'typeorm';
import { ComponentEntity } from '../components/component.entity';
import { InstanceEntity } from '../instances/instance.entity';
import { CreateRegistrySchema1764000000000 } from '../migrations/1764000000000-create-registry-schema';
import { CreateRegistryOutbox1764000000001 } from '../migrations/1764000000001-create-registry-outbox';
import { AddCatalogRevision1764000000002 } from '../migrations/1764000000002-add-catalog-revision';
import { CreateAuditLog1764000000003 } from '../migrations/1764000000003-create-audit-log';
import { SigningKeyEntity } from '../signing-keys/signing-key.entity';
import { VersionEntity } from '../versions/version.entity';

export const REGISTRY_SCHEMA = 'registry';

export const REGISTRY_ENTITIES = [ComponentEntity, SigningKeyEntity, VersionEntity, InstanceEntity];

/** In order; TypeORM records each by `name` in registry.migrations. */
export const REGISTRY_MIGRATIONS = [
  CreateRegistrySchema1764000000000,
  CreateRegistryOutbox1764000000001,
  AddCatalogRevision1764000000002,
  CreateAuditLog1764000000003,
];

/**
 * The one description of the registry's database: the Nest module, the migrate command and the
 * tests all build their connection from it. The schema only changes through migrations.
 */
export function registryDataSourceOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    schema: REGISTRY_SCHEMA,
    entities: REGISTRY_ENTITIES,
    migrations: REGISTRY_MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    applicationName: 'upshift-registry',
    extra: { max: 10, connectionTimeoutMillis: 5_000 },
  };
}

export function createRegistryDataSource(databaseUrl: string): DataSource {
  return new DataSource(registryDataSourceOptions(databaseUrl));
}
