import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { registerOutboxMetrics } from '@upshift/messaging';
import { createServiceRegistry } from '@upshift/metrics';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { REGISTRY_SCHEMA } from '../database/registry-data-source';
import { RegistryOutboxRelay } from '../events/registry-outbox-relay';

/**
 * The registry's metrics (docs/adr/0086-metrics-endpoints.md): the process's own, the HTTP requests it
 * served (main.ts) and its outbox of registry.events.
 */
@Injectable()
export class RegistryMetrics {
  private readonly logger = new Logger(RegistryMetrics.name);
  readonly registry: Registry = createServiceRegistry('registry');

  constructor(@InjectDataSource() dataSource: DataSource, outbox: RegistryOutboxRelay) {
    registerOutboxMetrics(this.registry, {
      schema: REGISTRY_SCHEMA,
      relay: () => outbox.relay,
      query: (text) => dataSource.query(text),
      onError: (error) =>
        this.logger.warn(
          { err: error },
          'could not read the outbox backlog for the metrics; reporting the last value',
        ),
    });
  }
}
