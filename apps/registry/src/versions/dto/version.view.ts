import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { VersionChannel, VersionStatus } from '@upshift/contracts';
import { VersionEntity } from '../version.entity';

export class ArtifactView {
  @ApiProperty() url!: string;
  @ApiProperty({ description: 'SHA-256, lower-case hex' }) sha256!: string;
  @ApiProperty({ nullable: true, type: String, description: 'base64 ed25519 signature of the digest bytes' })
  signature!: string | null;
}

export class VersionView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) componentId!: string;
  @ApiProperty({ example: '2.1.0' }) version!: string;
  @ApiProperty({ enum: VersionChannel }) channel!: VersionChannel;
  @ApiProperty({ enum: VersionStatus }) status!: VersionStatus;
  @ApiProperty({ type: ArtifactView }) artifact!: ArtifactView;
  @ApiProperty({ description: "Published with a signature verified against one of the component's keys" })
  signed!: boolean;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'uuid',
    description: 'The key that verified the signature',
  })
  signingKeyId!: string | null;
  @ApiProperty({
    description:
      'The component has at least one signing key: versions must be signed to be published, agents that trust the keys refuse unsigned artifacts, and the orchestrator refuses a target without signed=true and a signingKeyId (ADR 0073)',
  })
  signatureRequired!: boolean;
  @ApiProperty() breaking!: boolean;
  @ApiProperty() requiresMigration!: boolean;
  @ApiProperty() mandatory!: boolean;
  @ApiProperty() downgradeAllowed!: boolean;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { kafka: '>=3.5.0 <4.0.0' },
  })
  dependencies!: Record<string, string>;
  @ApiProperty() releaseNotes!: string;
  @ApiProperty({ nullable: true, type: String, example: '2027-06-30' }) supportedUntil!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) publishedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) deprecatedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) yankedAt!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) yankReason!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;

  /** `signatureRequired`: whether the version's component has signing keys now (not when it was published). */
  static of(entity: VersionEntity, signatureRequired: boolean): VersionView {
    return {
      id: entity.id,
      componentId: entity.componentId,
      version: entity.version,
      channel: entity.channel,
      status: entity.status,
      artifact: {
        url: entity.artifactUrl,
        sha256: entity.artifactSha256,
        signature: entity.artifactSignature,
      },
      signed: entity.signed,
      signingKeyId: entity.signingKeyId,
      signatureRequired,
      breaking: entity.breaking,
      requiresMigration: entity.requiresMigration,
      mandatory: entity.mandatory,
      downgradeAllowed: entity.downgradeAllowed,
      dependencies: entity.dependencies,
      releaseNotes: entity.releaseNotes,
      supportedUntil: entity.supportedUntil,
      publishedAt: entity.publishedAt?.toISOString() ?? null,
      deprecatedAt: entity.deprecatedAt?.toISOString() ?? null,
      yankedAt: entity.yankedAt?.toISOString() ?? null,
      yankReason: entity.yankReason,
      createdAt: entity.createdAt.toISOString(),
      updatedAt: entity.updatedAt.toISOString(),
    };
  }
}
