import { HttpStatus } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Matches, Max, Min, ValidateBy } from 'class-validator';
import { TENANT_ID_PATTERN } from '@upshift/contracts';
import type { AuditPage } from '@upshift/contracts';
import { canSeeTenant, tenantFilter } from '../auth/principal';
import type { Principal } from '../auth/principal';
import { ProblemException } from '../problem';
import { compareNewestFirst, cursorOf, parseCursor } from './audit-cursor';
import type { AuditLogQuery, AuditLogSlice } from './audit-log-sql';
import { noteAuditTenant } from './audit-scope';

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;

/** `GET /api/v1/registry/audit?tenantId=&since=&limit=&before=`, the same in both services. */
export class AuditQuery {
  @ApiPropertyOptional({
    description: "One tenant's records; without it, those of every tenant the token may see",
    pattern: TENANT_ID_PATTERN,
  })
  @IsOptional()
  @Matches(new RegExp(TENANT_ID_PATTERN), { message: `tenantId must match ${TENANT_ID_PATTERN}` })
  tenantId?: string;

  @ApiPropertyOptional({ description: 'Records at or after this instant (ISO 8601)', format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z' })
  since?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: AUDIT_PAGE_MAX, default: AUDIT_PAGE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(AUDIT_PAGE_MAX)
  limit: number = AUDIT_PAGE_DEFAULT;

  @ApiPropertyOptional({ description: "The previous page's nextCursor" })
  @IsOptional()
  @IsString()
  @ValidateBy({
    name: 'isAuditCursor',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseCursor(value) !== null,
      defaultMessage: () => "before must be a previous page's nextCursor",
    },
  })
  before?: string;
}

/**
 * What a caller may read: one tenant it can see (another tenant answers 404, as everywhere, and is
 * audited as refused), or all of its tenants; every record, tenant-less ones too, for `tenants: ["*"]`.
 */
export function auditLogQueryFor(query: AuditQuery, principal: Principal): AuditLogQuery {
  let tenants = tenantFilter(principal);
  if (query.tenantId !== undefined) {
    noteAuditTenant(query.tenantId);
    if (!canSeeTenant(principal, query.tenantId)) {
      throw new ProblemException(
        HttpStatus.NOT_FOUND,
        'Not found',
        `Tenant ${query.tenantId} does not exist`,
      );
    }
    tenants = [query.tenantId];
  }
  return {
    tenants,
    since: query.since === undefined ? null : new Date(query.since),
    before: query.before === undefined ? null : parseCursor(query.before),
    limit: query.limit,
  };
}

/**
 * One page of at most `limit` records, newest first, from one log or several (the orchestrator merges
 * its own with the registry's). Each slice was read with the same query, so the records after the
 * page's last one are exactly what the next page, read with its cursor, returns.
 */
export function auditPageOf(slices: readonly AuditLogSlice[], limit: number): AuditPage {
  const all = slices.flatMap((slice) => slice.items).sort(compareNewestFirst);
  const items = all.slice(0, limit);
  const last = items[items.length - 1];
  const more = all.length > limit || slices.some((slice) => slice.hasMore);
  return { items, nextCursor: more && last !== undefined ? cursorOf(last) : null };
}
