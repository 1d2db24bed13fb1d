import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { COMPONENT_NAME_PATTERN } from '../../common/map-validators';

export class CreateComponentRequest {
  @ApiProperty({
    example: 'upshift-gateway',
    description: 'Unique; lower-case a-z, 0-9, ".", "_", "-" (dependency ranges refer to components by name)',
    pattern: COMPONENT_NAME_PATTERN.source,
  })
  @IsString()
  @Matches(COMPONENT_NAME_PATTERN, {
    message:
      'name must be 1 to 64 characters of lower-case a-z, 0-9, ".", "_" or "-", starting with a letter or digit',
  })
  name!: string;

  @ApiProperty({
    example: 'service',
    description: 'What sort of thing it is: service, database, message-broker, …',
  })
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,63}$/, {
    message: 'kind must be 1 to 64 characters of lower-case a-z, 0-9 or "-"',
  })
  kind!: string;

  @ApiPropertyOptional({ example: 'Edge gateway in front of the tenant APIs', default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}
