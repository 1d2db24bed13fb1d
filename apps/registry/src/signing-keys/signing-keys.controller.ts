import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/openapi';
import { ComponentParams } from '../common/path-params';
import { AddSigningKeyRequest } from './dto/add-signing-key.request';
import { SigningKeyView } from './dto/signing-key.view';
import { SigningKeysService } from './signing-keys.service';

@ApiTags('signing keys')
@Controller('components/:componentId/signing-keys')
export class SigningKeysController {
  constructor(private readonly keys: SigningKeysService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: "Trust an ed25519 public key for the component's artifacts",
    description:
      'Once a component has a key, publishing requires a signature that verifies against one of its keys (docs/signing.md).',
  })
  @ApiCreatedResponse({ type: SigningKeyView })
  @ApiProblemResponses(400, 404, 409)
  add(
    @Param() { componentId }: ComponentParams,
    @Body() request: AddSigningKeyRequest,
  ): Promise<SigningKeyView> {
    return this.keys.add(componentId, request);
  }

  @Get()
  @ApiOperation({ summary: "List the component's trusted keys" })
  @ApiOkResponse({ type: SigningKeyView, isArray: true })
  @ApiProblemResponses(400, 404)
  list(@Param() { componentId }: ComponentParams): Promise<SigningKeyView[]> {
    return this.keys.list(componentId);
  }
}
