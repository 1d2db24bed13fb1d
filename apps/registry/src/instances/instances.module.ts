import { Module } from '@nestjs/common';
import { UpgradePathsModule } from '../upgrade-paths/upgrade-paths.module';
import { VersionsModule } from '../versions/versions.module';
import { InstancesController } from './instances.controller';
import { InstancesRepository } from './instances.repository';
import { InstancesService } from './instances.service';

@Module({
  imports: [VersionsModule, UpgradePathsModule],
  controllers: [InstancesController],
  providers: [InstancesRepository, InstancesService],
})
export class InstancesModule {}
