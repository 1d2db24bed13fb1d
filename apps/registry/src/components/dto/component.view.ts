import { ApiProperty } from '@nestjs/swagger';
import { ComponentEntity } from '../component.entity';

export class ComponentView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'upshift-gateway' }) name!: string;
  @ApiProperty({ example: 'service' }) kind!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;

  static of(entity: ComponentEntity): ComponentView {
    return {
      id: entity.id,
      name: entity.name,
      kind: entity.kind,
      description: entity.description,
      createdAt: entity.createdAt.toISOString(),
      updatedAt: entity.updatedAt.toISOString(),
    };
  }
}
