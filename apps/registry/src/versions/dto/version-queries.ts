import { ApiPropertyOptional } from '@nestjs/swagger';
import { VersionChannel, VersionStatus } from '@upshift/contracts';
import { IsEnum, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/paging';
import { SIGNATURE_BASE64_PATTERN } from '@upshift/signing';

export class ListVersionsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: VersionChannel })
  @IsOptional()
  @IsEnum(VersionChannel, { message: 'channel must be one of stable, beta, dev' })
  channel?: VersionChannel;

  @ApiPropertyOptional({ enum: VersionStatus })
  @IsOptional()
  @IsEnum(VersionStatus, { message: 'status must be one of draft, published, deprecated, yanked' })
  status?: VersionStatus;
}

export class YankVersionRequest {
  @ApiPropertyOptional({ example: 'CVE-2025-1234: remote code execution in the admin API', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string | null;
}

export class PublishVersionRequest {
  @ApiPropertyOptional({
    nullable: true,
    description:
      "Replaces the draft's artifact signature before it is verified (base64 ed25519 signature of the digest bytes)",
  })
  @IsOptional()
  @IsString()
  @Matches(SIGNATURE_BASE64_PATTERN, {
    message: 'signature must be the base64 of a 64-byte ed25519 signature (88 characters ending in "==")',
  })
  signature?: string | null;
}
