import { Module } from '@nestjs/common';
import { VersionsModule } from '../versions/versions.module';
import { InstancesController } from './instances.controller';
import { InstancesRepository } from './instances.repository';
import { InstancesService } from './instances.service';

@Module({
  imports: [VersionsModule],
  controllers: [InstancesController],
  providers: [InstancesRepository, InstancesService],
})
export class InstancesModule {}
