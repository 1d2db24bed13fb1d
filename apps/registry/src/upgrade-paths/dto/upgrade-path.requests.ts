import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { VersionChannel } from '@upshift/contracts';
import { IsEnum, IsOptional } from 'class-validator';
import { IsUuidField } from '../../common/path-params';
import { IsInstalledComponentMap } from '../../common/map-validators';

export class ValidateUpgradePathRequest {
  @ApiProperty({ format: 'uuid', description: 'The version the instances run now' })
  @IsUuidField()
  fromVersionId!: string;

  @ApiProperty({ format: 'uuid', description: 'The version to upgrade (or downgrade) to' })
  @IsUuidField()
  toVersionId!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    nullable: true,
    example: { kafka: '3.6.0', postgresql: '16.1' },
    description: "Other components installed alongside, checked against the target's dependency ranges",
  })
  @IsOptional()
  @IsInstalledComponentMap()
  installedComponents?: Record<string, string> | null;

  @ApiPropertyOptional({
    enum: VersionChannel,
    description:
      "The instances' channel; a target on a narrower-trust channel gives a warning. Default: the from version's channel",
  })
  @IsOptional()
  @IsEnum(VersionChannel, { message: 'channel must be one of stable, beta, dev' })
  channel?: VersionChannel;
}

export class AvailableTargetsQuery {
  @ApiPropertyOptional({
    enum: VersionChannel,
    description:
      "Channel the instances follow (dev sees beta and stable, beta sees stable). Default for upgrades: the version's own channel; for downgrades: all channels",
  })
  @IsOptional()
  @IsEnum(VersionChannel, { message: 'channel must be one of stable, beta, dev' })
  channel?: VersionChannel;
}
