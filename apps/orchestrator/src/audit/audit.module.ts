import { Module } from '@nestjs/common';
import { AUDIT_WRITER } from '@upshift/http';
import { AuditController } from './audit.controller';
import { OrchestratorAuditWriter } from './orchestrator-audit-writer';

/** The orchestrator's audit log: the writer main.ts hands to the audit hook, and the merged `GET /audit`. */
@Module({
  controllers: [AuditController],
  providers: [{ provide: AUDIT_WRITER, useClass: OrchestratorAuditWriter }],
  exports: [AUDIT_WRITER],
})
export class AuditModule {}
