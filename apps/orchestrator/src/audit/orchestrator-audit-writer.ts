import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { auditRecordedMessage } from '@upshift/contracts';
import type { AuditRecord } from '@upshift/contracts';
import { insertAuditRecord } from '@upshift/http';
import type { AuditWriter } from '@upshift/http';
import { DataSource } from 'typeorm';
import { SCHEMA } from '../database/entities';
import { writeOutbox } from '../engine/outbox-messages';

/** orchestrator.audit_log and its audit.events outbox row, in one transaction. */
@Injectable()
export class OrchestratorAuditWriter implements AuditWriter {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async write(record: AuditRecord): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await insertAuditRecord(manager, SCHEMA, record);
      await writeOutbox(manager, [auditRecordedMessage(record)]);
    });
  }
}
