import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

/** Optional body of `POST /upgrades/:id/rollback` (the seed passes the reason as `?reason=`). */
export class RollbackBody {
  @ApiPropertyOptional({
    description: 'Who asks for the rollback (else the X-Initiated-By header, else "api")',
  })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  initiatedBy?: string;

  @ApiPropertyOptional({ description: 'Why; the ?reason= query parameter wins when both are given' })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  reason?: string;
}
