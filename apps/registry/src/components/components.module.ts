import { Module } from '@nestjs/common';
import { ComponentsController } from './components.controller';
import { ComponentsRepository } from './components.repository';
import { ComponentsService } from './components.service';

@Module({
  controllers: [ComponentsController],
  providers: [ComponentsRepository, ComponentsService],
  exports: [ComponentsService],
})
export class ComponentsModule {}
