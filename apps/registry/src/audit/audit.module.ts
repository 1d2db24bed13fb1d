import { Module } from '@nestjs/common';
import { AUDIT_WRITER } from '@upshift/http';
import { AuditController } from './audit.controller';
import { RegistryAuditWriter } from './registry-audit-writer';

/** The registry's audit log: the writer main.ts hands to the audit hook, and `GET /audit`. */
@Module({
  controllers: [AuditController],
  providers: [{ provide: AUDIT_WRITER, useClass: RegistryAuditWriter }],
  exports: [AUDIT_WRITER],
})
export class AuditModule {}
