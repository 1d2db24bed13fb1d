import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { auditRecordedMessage } from '@upshift/contracts';
import type { AuditRecord } from '@upshift/contracts';
import { insertAuditRecord } from '@upshift/http';
import type { AuditWriter } from '@upshift/http';
import { enqueueOutbox } from '@upshift/messaging';
import { DataSource } from 'typeorm';
import { REGISTRY_SCHEMA } from '../database/registry-data-source';

/** registry.audit_log and its audit.events outbox row, in one transaction. */
@Injectable()
export class RegistryAuditWriter implements AuditWriter {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async write(record: AuditRecord): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await insertAuditRecord(manager, REGISTRY_SCHEMA, record);
      await enqueueOutbox(manager, REGISTRY_SCHEMA, [auditRecordedMessage(record)]);
    });
  }
}
