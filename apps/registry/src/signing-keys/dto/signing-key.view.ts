import { ApiProperty } from '@nestjs/swagger';
import { SigningKeyEntity } from '../signing-key.entity';

export class SigningKeyView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) componentId!: string;
  @ApiProperty({ description: 'SHA-256 (hex) of the 32 raw public-key bytes' }) fingerprint!: string;
  @ApiProperty({ description: 'SPKI PEM' }) publicKey!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;

  static of(entity: SigningKeyEntity): SigningKeyView {
    return {
      id: entity.id,
      componentId: entity.componentId,
      fingerprint: entity.fingerprint,
      publicKey: entity.publicKeyPem,
      createdAt: entity.createdAt.toISOString(),
    };
  }
}
