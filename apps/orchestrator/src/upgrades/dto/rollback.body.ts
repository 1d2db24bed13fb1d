import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

export const INITIATED_BY_MAX = 255;
export const REASON_MAX = 1000;

/** Optional body of `POST /upgrades/:id/rollback` (the contract passes the reason as `?reason=`, docs/api-contract.md). */
export class RollbackBody {
  @ApiPropertyOptional({
    description: 'Who asks for the rollback (else the X-Initiated-By header, else "api")',
  })
  @IsOptional()
  @IsString()
  @Length(1, INITIATED_BY_MAX)
  initiatedBy?: string;

  @ApiPropertyOptional({ description: 'Why; the ?reason= query parameter wins when both are given' })
  @IsOptional()
  @IsString()
  @Length(1, REASON_MAX)
  reason?: string;
}
