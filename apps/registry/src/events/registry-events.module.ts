import { DynamicModule, Global, Module } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { RegistryConfig } from '../config';
import { RegistryEventOutbox } from './registry-event-outbox';
import { RegistryOutboxRelay } from './registry-outbox-relay';

/** The outbox writer for registry.events and the relay that publishes it (global: several features write events). */
@Global()
@Module({})
export class RegistryEventsModule {
  static forRoot(config: RegistryConfig, logDestination?: DestinationStream): DynamicModule {
    return {
      module: RegistryEventsModule,
      providers: [
        RegistryEventOutbox,
        { provide: RegistryOutboxRelay, useFactory: () => new RegistryOutboxRelay(config, logDestination) },
      ],
      exports: [RegistryEventOutbox, RegistryOutboxRelay],
    };
  }
}
