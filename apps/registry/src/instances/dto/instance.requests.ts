import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '../../common/paging';
import { IsUuidField } from '../../common/path-params';
import { IsLabelMap } from '../../common/map-validators';

const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class RegisterInstanceRequest {
  @ApiProperty({ format: 'uuid' })
  @IsUuidField()
  componentId!: string;

  @ApiProperty({
    format: 'uuid',
    description: 'The version the instance runs now; must belong to componentId',
  })
  @IsUuidField()
  versionId!: string;

  @ApiProperty({
    example: 'gateway-eu-1',
    description: 'Unique per tenant and component; registering it again updates it',
  })
  @IsString()
  @Matches(INSTANCE_NAME, { message: 'name must be 1 to 128 characters of A-Z, a-z, 0-9, ".", "_" or "-"' })
  name!: string;

  @ApiProperty({ example: 'http://10.0.3.17:7070', description: "Base URL of the instance's agent" })
  @IsString()
  @MaxLength(2048)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'agentUrl must be an absolute http(s) URL' },
  )
  agentUrl!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { region: 'eu-west-1' },
  })
  @IsOptional()
  @IsLabelMap()
  labels?: Record<string, string>;
}

export class ListInstancesQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUuidField()
  componentId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUuidField()
  versionId?: string;
}

/** `GET /tenants/:tenantId/instances/out-of-support`: the same paging, optionally of one component. */
export class ListOutOfSupportInstancesQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUuidField()
  componentId?: string;
}

export class UpdateInstanceVersionRequest {
  @ApiProperty({ format: 'uuid', description: "The instance's new version; must belong to its component" })
  @IsUuidField()
  versionId!: string;
}

/** Most updates one bulk request may carry (an orchestrator transaction settles at most a batch). */
export const MAX_VERSION_UPDATES = 1000;

export class InstanceVersionUpdate {
  @ApiProperty({ format: 'uuid' })
  @IsUuidField()
  instanceId!: string;

  @ApiProperty({ format: 'uuid', description: "The instance's new version; must belong to its component" })
  @IsUuidField()
  versionId!: string;
}

export class UpdateInstanceVersionsRequest {
  @ApiProperty({
    type: [InstanceVersionUpdate],
    description: `1 to ${MAX_VERSION_UPDATES} updates; for an instance listed twice, the last one counts`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VERSION_UPDATES)
  @ValidateNested({ each: true })
  @Type(() => InstanceVersionUpdate)
  updates!: InstanceVersionUpdate[];
}
