import { Logger } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import type { AuditedService } from '@upshift/contracts';
import { auditRequests } from './audit-requests';
import type { ReadOnlyRoute } from './audit-requests';
import { AUDIT_WRITER } from './audit-writer';
import type { AuditWriter } from './audit-writer';

/**
 * Installs the audit hook on a service's Express app with the writer the service bound to
 * AUDIT_WRITER. Call it before the app listens, after anything that answers requests on another
 * service's behalf (the orchestrator's registry proxy: the registry audits those itself), so that it
 * runs before Nest's body parser and routing and sees every request that reaches this service.
 */
export function installAuditLog(
  app: INestApplication,
  options: { service: AuditedService; readOnly?: readonly ReadOnlyRoute[] },
): void {
  const writer = app.get<AuditWriter>(AUDIT_WRITER);
  const logger = new Logger('AuditLog');
  app.use(
    auditRequests({
      ...options,
      writer,
      onWriteError: (error, record) =>
        logger.error(
          { err: error, requestId: record.requestId, action: record.action, status: record.status },
          'an audit record could not be written',
        ),
    }),
  );
}
