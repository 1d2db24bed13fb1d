import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { VersionChannel } from '@upshift/contracts';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsEnum,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { IsDependencyRangeMap } from '../../common/map-validators';
import { SIGNATURE_BASE64_PATTERN } from '@upshift/signing';
import { parseReleaseVersion } from '../release-version';

/** A release's downloadable artifact; the signature covers the digest (docs/signing.md). */
export class ArtifactRequest {
  @ApiProperty({ example: 'https://artifacts.example.com/upshift-gateway/2.1.0/gateway.tar.gz' })
  @IsString()
  @MaxLength(2048)
  @IsUrl(
    { protocols: ['http', 'https', 'oci', 's3'], require_protocol: true, require_tld: false },
    { message: 'artifact.url must be an absolute http(s), oci or s3 URL' },
  )
  url!: string;

  @ApiProperty({
    example: 'a3f5…',
    description: 'SHA-256 of the artifact, 64 hex characters (stored lower-case)',
  })
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, { message: 'artifact.sha256 must be 64 hex characters (a SHA-256 digest)' })
  sha256!: string;

  @ApiPropertyOptional({
    nullable: true,
    description:
      'base64 ed25519 signature of the 32 digest bytes (88 characters); null or absent when unsigned',
  })
  @IsOptional()
  @IsString()
  @Matches(SIGNATURE_BASE64_PATTERN, {
    message:
      'artifact.signature must be the base64 of a 64-byte ed25519 signature (88 characters ending in "==")',
  })
  signature?: string | null;
}

function IsReleaseVersion(): PropertyDecorator {
  return ValidateBy({
    name: 'isReleaseVersion',
    validator: {
      validate: (value) => typeof value === 'string' && !('problem' in parseReleaseVersion(value)),
      defaultMessage: (args) => {
        const value: unknown = args?.value;
        if (typeof value !== 'string') return 'version must be a string such as "2.1.0"';
        const parsed = parseReleaseVersion(value);
        return 'problem' in parsed ? `version ${parsed.problem}` : '';
      },
    },
  });
}

export class CreateVersionRequest {
  @ApiProperty({ example: '2.1.0', description: 'Semantic version in normal form, without build metadata' })
  @MaxLength(128)
  @IsReleaseVersion()
  version!: string;

  @ApiPropertyOptional({ enum: VersionChannel, default: VersionChannel.STABLE })
  @IsOptional()
  @IsEnum(VersionChannel, { message: 'channel must be one of stable, beta, dev' })
  channel?: VersionChannel;

  @ApiPropertyOptional({ default: '', example: 'Adds HTTP/3; fixes #123.' })
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  releaseNotes?: string;

  @ApiProperty({ type: ArtifactRequest })
  @IsObject({ message: 'artifact must be an object {url, sha256, signature}' })
  @ValidateNested()
  @Type(() => ArtifactRequest)
  artifact!: ArtifactRequest;

  @ApiPropertyOptional({ default: false, description: 'Incompatible API or behaviour changes' })
  @IsOptional()
  @IsBoolean()
  breaking?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Upgrading to it runs a data migration' })
  @IsOptional()
  @IsBoolean()
  requiresMigration?: boolean;

  @ApiPropertyOptional({
    default: false,
    description: 'A waypoint: every upgrade path that crosses it stops at it',
  })
  @IsOptional()
  @IsBoolean()
  mandatory?: boolean;

  @ApiPropertyOptional({
    default: true,
    description:
      'Whether instances may be downgraded to this version from a later one (false when a later release migrates data irreversibly)',
  })
  @IsOptional()
  @IsBoolean()
  downgradeAllowed?: boolean;

  @ApiPropertyOptional({
    example: { kafka: '>=3.5.0 <4.0.0', postgresql: '^16.0.0' },
    description: 'Components that must be installed alongside, with semver ranges',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @IsDependencyRangeMap()
  dependencies?: Record<string, string>;

  @ApiPropertyOptional({
    example: '2027-06-30',
    nullable: true,
    description: 'Last day of support (YYYY-MM-DD)',
  })
  @IsOptional()
  @Matches(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, {
    message: 'supportedUntil must be a date YYYY-MM-DD',
  })
  supportedUntil?: string | null;
}
