import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, plainToInstance } from 'class-transformer';
import type { TransformFnParams } from 'class-transformer';
import {
  IsBoolean,
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  validateSync,
} from 'class-validator';
import { UpgradeStrategy } from '../enums';
import { CANARY_UPGRADE_EXAMPLE } from '../examples/canary-upgrade.example';
import type { FieldError } from '../views/problem-details';
import {
  UPGRADE_REQUEST_DEFAULTS as DEFAULTS,
  UPGRADE_REQUEST_LIMITS as LIMITS,
} from './upgrade-request-defaults';
import { withDefaults } from './upgrade-request-defaults';
import type { CreateUpgradeRequestInput, ResolvedUpgradeRequest } from './upgrade-request-defaults';
import { IsAtLeastField, IsRequired, IsVersionMap } from './upgrade-request-validators';
import { flattenValidationErrors } from './validation-errors';

/**
 * A JSON `null` means "use the default", like an absent field: clients generated from a Java model of
 * the contract send nulls for unset boxed fields.
 */
const orDefault =
  (fallback: unknown) =>
  ({ value }: TransformFnParams): unknown =>
    value ?? fallback;

/**
 * Body of `POST /api/v1/registry/tenants/:tenantId/upgrades` (docs/api-contract.md, "UpgradeRequest").
 * Property initialisers carry the contract's defaults, so `ValidationPipe({ transform: true })` (which builds
 * the instance with `new`) fills every absent field; `withDefaults()` does the same for plain objects.
 */
export class CreateUpgradeRequest implements CreateUpgradeRequestInput {
  @ApiProperty({ format: 'uuid', description: 'Target component' })
  @IsRequired()
  @IsUUID('all')
  componentId!: string;

  @ApiProperty({ format: 'uuid', description: 'Current version (every upgraded instance runs it now)' })
  @IsRequired()
  @IsUUID('all')
  fromVersionId!: string;

  @ApiProperty({ format: 'uuid', description: 'Target version' })
  @IsRequired()
  @IsUUID('all')
  toVersionId!: string;

  @ApiPropertyOptional({ enum: UpgradeStrategy, enumName: 'UpgradeStrategy', default: DEFAULTS.strategy })
  @Transform(orDefault(DEFAULTS.strategy))
  @IsEnum(UpgradeStrategy)
  strategy: UpgradeStrategy = DEFAULTS.strategy;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 100,
    default: DEFAULTS.canaryPercentage,
    description: 'Percentage of instances upgraded first as canaries (CANARY strategy)',
  })
  @Transform(orDefault(DEFAULTS.canaryPercentage))
  @IsInt()
  @Min(1)
  @Max(100)
  canaryPercentage: number = DEFAULTS.canaryPercentage;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: LIMITS.maxInstances,
    default: DEFAULTS.batchSize,
    description: 'Instances per batch',
  })
  @Transform(orDefault(DEFAULTS.batchSize))
  @IsInt()
  @Min(1)
  @Max(LIMITS.maxInstances)
  batchSize: number = DEFAULTS.batchSize;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: LIMITS.maxBatchDelaySeconds,
    default: DEFAULTS.batchDelaySeconds,
    description: 'Delay between batches in seconds',
  })
  @Transform(orDefault(DEFAULTS.batchDelaySeconds))
  @IsInt()
  @Min(0)
  @Max(LIMITS.maxBatchDelaySeconds)
  batchDelaySeconds: number = DEFAULTS.batchDelaySeconds;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: LIMITS.maxHealthCheckIntervalSeconds,
    default: DEFAULTS.healthCheckIntervalSeconds,
    description: 'Health-check polling interval in seconds',
  })
  @Transform(orDefault(DEFAULTS.healthCheckIntervalSeconds))
  @IsInt()
  @Min(1)
  @Max(LIMITS.maxHealthCheckIntervalSeconds)
  healthCheckIntervalSeconds: number = DEFAULTS.healthCheckIntervalSeconds;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: LIMITS.maxHealthCheckTimeoutSeconds,
    default: DEFAULTS.healthCheckTimeoutSeconds,
    description: 'Health-check timeout in seconds; at least healthCheckIntervalSeconds',
  })
  @Transform(orDefault(DEFAULTS.healthCheckTimeoutSeconds))
  @IsInt()
  @Min(1)
  @Max(LIMITS.maxHealthCheckTimeoutSeconds)
  @IsAtLeastField('healthCheckIntervalSeconds')
  healthCheckTimeoutSeconds: number = DEFAULTS.healthCheckTimeoutSeconds;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 100,
    default: DEFAULTS.maxUnavailablePercentage,
    description: 'Most instances out of service at once, as a percentage of totalInstances (at least 1)',
  })
  @Transform(orDefault(DEFAULTS.maxUnavailablePercentage))
  @IsInt()
  @Min(1)
  @Max(100)
  maxUnavailablePercentage: number = DEFAULTS.maxUnavailablePercentage;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: LIMITS.maxInstances,
    default: DEFAULTS.totalInstances,
    description: 'Total instances to upgrade',
  })
  @Transform(orDefault(DEFAULTS.totalInstances))
  @IsInt()
  @Min(1)
  @Max(LIMITS.maxInstances)
  totalInstances: number = DEFAULTS.totalInstances;

  @ApiPropertyOptional({
    default: DEFAULTS.autoRollbackEnabled,
    description: 'Roll back automatically on failure',
  })
  @Transform(orDefault(DEFAULTS.autoRollbackEnabled))
  @IsBoolean()
  autoRollbackEnabled: boolean = DEFAULTS.autoRollbackEnabled;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: LIMITS.maxInstances,
    default: DEFAULTS.failureThreshold,
    description: 'Failed instances that trigger auto-rollback',
  })
  @Transform(orDefault(DEFAULTS.failureThreshold))
  @IsInt()
  @Min(1)
  @Max(LIMITS.maxInstances)
  failureThreshold: number = DEFAULTS.failureThreshold;

  @ApiPropertyOptional({
    maxLength: LIMITS.maxInitiatedByLength,
    description: 'User who initiated the upgrade',
  })
  @IsOptional()
  @IsString()
  @Length(1, LIMITS.maxInitiatedByLength)
  initiatedBy?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: CANARY_UPGRADE_EXAMPLE.installedComponents,
    description: 'Currently installed component versions (name → version)',
  })
  @IsOptional()
  @IsVersionMap()
  installedComponents?: Record<string, string>;
}

export type CreateUpgradeRequestValidation = { value: ResolvedUpgradeRequest } | { errors: FieldError[] };

/**
 * The same rules as the Nest `ValidationPipe({ transform: true, whitelist: true,
 * forbidNonWhitelisted: true })`, for code outside a Nest request (tests, scripts, other transports).
 */
export function validateCreateUpgradeRequest(plain: unknown): CreateUpgradeRequestValidation {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return { errors: [{ field: '', message: 'the request body must be a JSON object' }] };
  }
  const instance = plainToInstance(CreateUpgradeRequest, plain);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) return { errors: flattenValidationErrors(errors) };
  return { value: withDefaults(instance) };
}
