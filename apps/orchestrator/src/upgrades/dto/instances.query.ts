import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional, Matches } from 'class-validator';
import { InstanceStatus } from '@upshift/contracts';
import { PAGE_LIMIT_DEFAULT, PageLimit } from './page-limit';

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

  @PageLimit('instances')
  limit: number = PAGE_LIMIT_DEFAULT;

  @ApiPropertyOptional({ description: "The previous page's `next`", pattern: '^[0-9]{1,9}$', example: '50' })
  @IsOptional()
  // Up to 9 digits: always within PostgreSQL's int, the type of an instance's place.
  @Matches(/^[0-9]{1,9}$/, { message: "cursor must be the previous page's next (digits)" })
  cursor?: string;
}
