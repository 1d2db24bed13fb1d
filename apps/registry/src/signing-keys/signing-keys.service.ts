import { Injectable } from '@nestjs/common';
import { ComponentsService } from '../components/components.service';
import { type Page, pageOf } from '../common/paging';
import { RequestValidationError } from '../common/registry-errors';
import { InvalidPublicKeyError, parseEd25519PublicKey, ParsedPublicKey } from '@upshift/signing';
import { AddSigningKeyRequest } from './dto/add-signing-key.request';
import { SigningKeyView } from './dto/signing-key.view';
import { SigningKeysRepository } from './signing-keys.repository';

@Injectable()
export class SigningKeysService {
  constructor(
    private readonly components: ComponentsService,
    private readonly keys: SigningKeysRepository,
  ) {}

  async add(componentId: string, request: AddSigningKeyRequest): Promise<SigningKeyView> {
    await this.components.require(componentId);
    const parsed = parsePublicKeyField(request.publicKey);
    const entity = await this.keys.insert({
      componentId,
      publicKeyPem: parsed.pem,
      fingerprint: parsed.fingerprint,
    });
    return SigningKeyView.of(entity);
  }

  async list(componentId: string, window: { limit: number; offset: number }): Promise<Page<SigningKeyView>> {
    await this.components.require(componentId);
    return pageOf(await this.keys.findPageByComponent(componentId, window), (entity) =>
      SigningKeyView.of(entity),
    );
  }
}

function parsePublicKeyField(publicKey: string): ParsedPublicKey {
  try {
    return parseEd25519PublicKey(publicKey);
  } catch (error) {
    if (error instanceof InvalidPublicKeyError) {
      throw new RequestValidationError([{ field: 'publicKey', message: `publicKey: ${error.message}` }]);
    }
    throw error;
  }
}
