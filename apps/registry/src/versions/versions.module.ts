import { Module } from '@nestjs/common';
import { ComponentsModule } from '../components/components.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { VersionsController } from './versions.controller';
import { VersionsRepository } from './versions.repository';
import { VersionsService } from './versions.service';

@Module({
  imports: [ComponentsModule, SigningKeysModule],
  controllers: [VersionsController],
  providers: [VersionsRepository, VersionsService],
  exports: [VersionsService, VersionsRepository],
})
export class VersionsModule {}
