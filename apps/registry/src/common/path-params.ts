import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsUUID, Matches } from 'class-validator';
import { TENANT_ID_PATTERN } from './request-validation';

const shown = (value: unknown): string => {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
};

/**
 * A UUID field (path, query or body): the message names the field and echoes the value; stored
 * lower-case, which is how PostgreSQL returns uuids, so that ids compare equal as strings.
 */
export function IsUuidField(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value)),
    IsUUID('all', {
      message: (args) =>
        args.value === undefined || args.value === null
          ? `${args.property} is required (a UUID)`
          : `${args.property} must be a UUID, got "${shown(args.value)}"`,
    }),
  );
}

/**
 * Tenant ids are opaque strings chosen by the tenant system, not UUIDs (docs/api-contract.md uses
 * `550e8400`).
 */
export function IsTenantIdField(): PropertyDecorator {
  return Matches(TENANT_ID_PATTERN, {
    message: (args) =>
      `${args.property} must be 1 to 64 characters of A-Z, a-z, 0-9, _ or -, got "${shown(args.value)}"`,
  });
}

// Path parameters as DTOs, so that the one ValidationPipe reports every bad parameter at once.

export class ComponentParams {
  @ApiProperty({ format: 'uuid' })
  @IsUuidField()
  componentId!: string;
}

// Declared in full rather than extended: errors then list the parameters in path order.
export class ComponentVersionParams {
  @ApiProperty({ format: 'uuid' })
  @IsUuidField()
  componentId!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUuidField()
  versionId!: string;
}

export class TenantParams {
  @ApiProperty({ example: '550e8400', pattern: TENANT_ID_PATTERN.source })
  @IsTenantIdField()
  tenantId!: string;
}

export class TenantInstanceParams {
  @ApiProperty({ example: '550e8400', pattern: TENANT_ID_PATTERN.source })
  @IsTenantIdField()
  tenantId!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUuidField()
  instanceId!: string;
}
