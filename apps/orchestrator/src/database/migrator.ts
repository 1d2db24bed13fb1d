import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { runMigrations } from './data-source';

/** Applies pending migrations before anything else touches the schema (MIGRATIONS_RUN=false skips). */
@Injectable()
export class Migrator implements OnModuleInit {
  private readonly logger = new Logger(Migrator.name);

  constructor(
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: OrchestratorConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.MIGRATIONS_RUN) return;
    const applied = await runMigrations(this.dataSource);
    if (applied.length > 0) this.logger.log({ applied }, 'migrations applied');
  }
}
