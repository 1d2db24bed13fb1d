import { Module } from '@nestjs/common';
import { ComponentsModule } from '../components/components.module';
import { SigningKeysController } from './signing-keys.controller';
import { SigningKeysRepository } from './signing-keys.repository';
import { SigningKeysService } from './signing-keys.service';

@Module({
  imports: [ComponentsModule],
  controllers: [SigningKeysController],
  providers: [SigningKeysRepository, SigningKeysService],
  exports: [SigningKeysRepository],
})
export class SigningKeysModule {}
