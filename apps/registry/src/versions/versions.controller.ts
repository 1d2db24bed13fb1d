import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { Requires } from '@upshift/http';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiProblemResponses } from '../common/openapi';
import { ApiPagedOkResponse, sendPage } from '../common/paging';
import { ComponentParams, ComponentVersionParams } from '../common/path-params';
import { CreateVersionRequest } from './dto/create-version.request';
import { ListVersionsQuery, PublishVersionRequest, YankVersionRequest } from './dto/version-queries';
import { VersionView } from './dto/version.view';
import { VersionsService } from './versions.service';

@ApiTags('versions')
@Controller('components/:componentId/versions')
export class VersionsController {
  constructor(private readonly versions: VersionsService) {}

  @Post()
  @Requires('admin', 'version.create')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create a draft version',
    description: 'Versions are immutable; 409 when the number exists.',
  })
  @ApiCreatedResponse({ type: VersionView })
  @ApiProblemResponses(400, 404, 409)
  create(
    @Param() { componentId }: ComponentParams,
    @Body() request: CreateVersionRequest,
  ): Promise<VersionView> {
    return this.versions.create(componentId, request);
  }

  @Get()
  @Requires('viewer')
  @ApiOperation({
    summary: "List the component's versions, oldest first (semver precedence), one page at a time",
  })
  @ApiPagedOkResponse(VersionView)
  @ApiProblemResponses(400, 404)
  async list(
    @Param() { componentId }: ComponentParams,
    @Query() query: ListVersionsQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<VersionView[]> {
    return sendPage(request, response, query, await this.versions.list(componentId, query));
  }

  @Get(':versionId')
  @Requires('viewer')
  @ApiOperation({ summary: 'Get one version; 404 when it is not a version of this component' })
  @ApiOkResponse({ type: VersionView })
  @ApiProblemResponses(400, 404)
  get(@Param() { componentId, versionId }: ComponentVersionParams): Promise<VersionView> {
    return this.versions.get(componentId, versionId);
  }

  @Post(':versionId/publish')
  @Requires('admin', 'version.publish')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Publish a draft',
    description:
      'When the component has signing keys, the artifact signature must verify against one of them (422 otherwise, and the version stays draft). Without keys the version is published with signed=false.',
  })
  @ApiOkResponse({ type: VersionView })
  @ApiProblemResponses(400, 404, 409, 422)
  publish(
    @Param() { componentId, versionId }: ComponentVersionParams,
    @Body() request: PublishVersionRequest,
  ): Promise<VersionView> {
    return this.versions.publish(componentId, versionId, request.signature);
  }

  @Post(':versionId/deprecate')
  @Requires('admin', 'version.deprecate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deprecate a published version (still a target, no longer recommended)' })
  @ApiOkResponse({ type: VersionView })
  @ApiProblemResponses(400, 404, 409)
  deprecate(@Param() { componentId, versionId }: ComponentVersionParams): Promise<VersionView> {
    return this.versions.deprecate(componentId, versionId);
  }

  @Post(':versionId/yank')
  @Requires('admin', 'version.yank')
  @HttpCode(200)
  @ApiOperation({ summary: 'Yank a published or deprecated version: never an upgrade target again' })
  @ApiOkResponse({ type: VersionView })
  @ApiProblemResponses(400, 404, 409)
  yank(
    @Param() { componentId, versionId }: ComponentVersionParams,
    @Body() request: YankVersionRequest,
  ): Promise<VersionView> {
    return this.versions.yank(componentId, versionId, request.reason ?? null);
  }
}
