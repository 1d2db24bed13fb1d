import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEnum, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { InstanceStatus } from '@upshift/contracts';
import { TRANSCRIPT_LIMIT_DEFAULT, TRANSCRIPT_LIMIT_MAX } from './transcript.query';

const LIMIT_MESSAGE = `limit must be an integer from 1 to ${TRANSCRIPT_LIMIT_MAX}`;

/**
 * `GET /upgrades/:executionId/instances?status=&limit=&cursor=`: an execution's instances one page at a
 * time, in the order batches take them. The cursor is the place of the page's last instance, which never
 * moves while statuses change, so a walk sees each instance once (ADR 0076).
 */
export class InstancesQuery {
  @ApiPropertyOptional({
    enum: InstanceStatus,
    enumName: 'InstanceStatus',
    description: 'Only instances in this status',
  })
  @IsOptional()
  @IsEnum(InstanceStatus, { message: `status must be one of ${Object.values(InstanceStatus).join(', ')}` })
  status?: InstanceStatus;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: TRANSCRIPT_LIMIT_MAX,
    default: TRANSCRIPT_LIMIT_DEFAULT,
    description: 'Most instances in the answer',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(TRANSCRIPT_LIMIT_MAX, { message: LIMIT_MESSAGE })
  limit: number = TRANSCRIPT_LIMIT_DEFAULT;

  @ApiPropertyOptional({ description: "The previous page's `next`", pattern: '^[0-9]{1,9}$', example: '50' })
  @IsOptional()
  // Up to 9 digits: always within PostgreSQL's int, the type of an instance's place.
  @Matches(/^[0-9]{1,9}$/, { message: "cursor must be the previous page's next (digits)" })
  cursor?: string;
}
