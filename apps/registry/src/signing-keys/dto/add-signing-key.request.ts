import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class AddSigningKeyRequest {
  @ApiProperty({
    description:
      'ed25519 public key: SPKI PEM (-----BEGIN PUBLIC KEY-----), or base64 of the SPKI DER (44 bytes) or of the raw key (32 bytes). See docs/signing.md.',
    example: 'MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=',
  })
  @IsString()
  @MinLength(40)
  @MaxLength(1000)
  publicKey!: string;
}
