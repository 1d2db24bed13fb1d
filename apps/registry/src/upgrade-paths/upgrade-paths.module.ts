import { Module } from '@nestjs/common';
import { VersionsModule } from '../versions/versions.module';
import { ComponentCatalogCache } from './component-catalog-cache';
import { UpgradePathsController } from './upgrade-paths.controller';
import { UpgradePathsService } from './upgrade-paths.service';

@Module({
  imports: [VersionsModule],
  controllers: [UpgradePathsController],
  providers: [ComponentCatalogCache, UpgradePathsService],
  // The inventory judges support windows from the same cached catalogs (ADR 0092).
  exports: [ComponentCatalogCache],
})
export class UpgradePathsModule {}
