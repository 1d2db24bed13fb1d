import { Module } from '@nestjs/common';
import { VersionsModule } from '../versions/versions.module';
import { ComponentCatalogCache } from './component-catalog-cache';
import { UpgradePathsController } from './upgrade-paths.controller';
import { UpgradePathsService } from './upgrade-paths.service';

@Module({
  imports: [VersionsModule],
  controllers: [UpgradePathsController],
  providers: [ComponentCatalogCache, UpgradePathsService],
})
export class UpgradePathsModule {}
