import { Controller, Get, Query } from '@nestjs/common';
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
import { ApiProblemResponses } from '../common/openapi';
import { REGISTRY_SCHEMA } from '../database/registry-data-source';

@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  @Requires('viewer')
  @ApiOperation({
    summary: "The registry's audit records, newest first",
    description:
      'Mutating and refused requests (ADR 0075), of the tenants the token may see. At the one base URL ' +
      "the orchestrator answers this path with its own records merged in; this is the registry's part.",
  })
  @ApiOkResponse({ description: '{ items, nextCursor }: pass nextCursor as `before` for the next page' })
  @ApiProblemResponses(400, 404)
  async list(@Query() query: AuditQuery, @CurrentPrincipal() principal: Principal): Promise<AuditPage> {
    const logQuery = auditLogQueryFor(query, principal);
    return auditPageOf([await readAuditLog(this.dataSource, REGISTRY_SCHEMA, logQuery)], logQuery.limit);
  }
}
