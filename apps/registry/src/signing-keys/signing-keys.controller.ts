import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { Requires } from '@upshift/http';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiProblemResponses } from '../common/openapi';
import { ApiPagedOkResponse, PageQuery, sendPage } from '../common/paging';
import { ComponentParams } from '../common/path-params';
import { AddSigningKeyRequest } from './dto/add-signing-key.request';
import { SigningKeyView } from './dto/signing-key.view';
import { SigningKeysService } from './signing-keys.service';

@ApiTags('signing keys')
@Controller('components/:componentId/signing-keys')
export class SigningKeysController {
  constructor(private readonly keys: SigningKeysService) {}

  @Post()
  @Requires('admin', 'signing-key.add')
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
  @Requires('viewer')
  @ApiOperation({ summary: "List the component's trusted keys, oldest first, one page at a time" })
  @ApiPagedOkResponse(SigningKeyView)
  @ApiProblemResponses(400, 404)
  async list(
    @Param() { componentId }: ComponentParams,
    @Query() query: PageQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SigningKeyView[]> {
    return sendPage(request, response, query, await this.keys.list(componentId, query));
  }
}
