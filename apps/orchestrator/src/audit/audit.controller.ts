import { Controller, Get, Headers, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AuditPage } from '@upshift/contracts';
import {
  AuditQuery,
  auditLogQueryFor,
  auditPageOf,
  CurrentPrincipal,
  readAuditLog,
  Requires,
} from '@upshift/http';
import type { Principal } from '@upshift/http';
import { DataSource } from 'typeorm';
import { SCHEMA } from '../database/entities';
import { RegistryClient } from '../registry/registry.client';

/**
 * `GET /audit` at the one base URL: the orchestrator's records merged with the registry's, newest
 * first, one cursor for both (ADR 0075). The registry is asked with the caller's own token, so each
 * service decides by itself which of its records the caller may read.
 */
@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: RegistryClient,
  ) {}

  @Get()
  @Requires('viewer')
  @ApiOperation({
    summary: 'Audit records of both services, newest first',
    description:
      'Mutating and refused requests to the orchestrator and the registry, of the tenants the token may ' +
      'see; pass nextCursor as `before` for the next page. 503 when the registry does not answer.',
  })
  @ApiOkResponse({ description: '{ items, nextCursor }' })
  async list(
    @Query() query: AuditQuery,
    @CurrentPrincipal() principal: Principal,
    @Headers('authorization') authorization: string,
  ): Promise<AuditPage> {
    // Scope first: a tenant outside the token answers 404 before either log is read.
    const logQuery = auditLogQueryFor(query, principal);
    const [own, registry] = await Promise.all([
      readAuditLog(this.dataSource, SCHEMA, logQuery),
      this.registry.auditPage(query, authorization),
    ]);
    return auditPageOf(
      [own, { items: registry.items, hasMore: registry.nextCursor !== null }],
      logQuery.limit,
    );
  }
}
