import { ApiProperty } from '@nestjs/swagger';
import { InstanceEntity } from '../instance.entity';

export class InstanceView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: '550e8400' }) tenantId!: string;
  @ApiProperty({ format: 'uuid' }) componentId!: string;
  @ApiProperty({ format: 'uuid' }) versionId!: string;
  @ApiProperty({ example: '2.1.0' }) version!: string;
  @ApiProperty({ example: 'gateway-eu-1' }) name!: string;
  @ApiProperty({ example: 'http://10.0.3.17:7070' }) agentUrl!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) labels!: Record<string, string>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({
    description:
      'Addition (ADR 0092): true when the instance runs a version more than one major behind the newest ' +
      'published, non-pre-release version of its component. Informational: upgrades are not blocked by it.',
  })
  outOfSupport!: boolean;

  static of(entity: InstanceEntity, version: string, outOfSupport: boolean): InstanceView {
    return {
      id: entity.id,
      tenantId: entity.tenantId,
      componentId: entity.componentId,
      versionId: entity.versionId,
      version,
      name: entity.name,
      agentUrl: entity.agentUrl,
      labels: entity.labels,
      createdAt: entity.createdAt.toISOString(),
      updatedAt: entity.updatedAt.toISOString(),
      outOfSupport,
    };
  }
}

/** The answer to a bulk version update: which instances moved, and which the tenant does not have (any more). */
export class InstanceVersionsUpdated {
  @ApiProperty({ type: [String], format: 'uuid' }) updated!: string[];
  @ApiProperty({
    type: [String],
    format: 'uuid',
    description: 'Instances the tenant does not have (e.g. deleted meanwhile): nothing to record',
  })
  missing!: string[];
}
