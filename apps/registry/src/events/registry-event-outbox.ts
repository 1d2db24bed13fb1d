import { Injectable } from '@nestjs/common';
import { registryEventMessage } from '@upshift/contracts';
import type { RegistryEvent } from '@upshift/contracts';
import { enqueueOutbox } from '@upshift/messaging';
import { EntityManager } from 'typeorm';
import { REGISTRY_SCHEMA } from '../database/registry-data-source';

/**
 * Writes registry.events into the registry's outbox inside the caller's transaction, so that an
 * event exists exactly when the change it announces was committed; the OutboxRelay publishes it.
 */
@Injectable()
export class RegistryEventOutbox {
  async enqueue(manager: EntityManager, events: RegistryEvent[]): Promise<void> {
    if (events.length === 0) return;
    await enqueueOutbox(
      manager,
      REGISTRY_SCHEMA,
      events.map((event) => registryEventMessage(event)),
    );
  }
}
