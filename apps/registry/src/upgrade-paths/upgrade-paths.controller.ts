import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Requires } from '@upshift/http';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/openapi';
import { ComponentParams, ComponentVersionParams } from '../common/path-params';
import { AvailableTargetsQuery, ValidateUpgradePathRequest } from './dto/upgrade-path.requests';
import { AvailableTargetView, UpgradePathValidationView } from './dto/upgrade-path.views';
import { UpgradePathsService } from './upgrade-paths.service';

@ApiTags('upgrade paths')
@Controller('components/:componentId')
export class UpgradePathsController {
  constructor(private readonly paths: UpgradePathsService) {}

  @Post('upgrade-path/validate')
  @Requires('viewer')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Validate an upgrade (or downgrade) between two versions of the component',
    description:
      '`valid` is true only when the target is a permitted direct target and nothing blocks it; otherwise `blockers` say why and `path` suggests the route.',
  })
  @ApiOkResponse({ type: UpgradePathValidationView })
  @ApiProblemResponses(400, 404)
  validate(
    @Param() { componentId }: ComponentParams,
    @Body() request: ValidateUpgradePathRequest,
  ): Promise<UpgradePathValidationView> {
    return this.paths.validate(componentId, request);
  }

  @Get('versions/:versionId/available-upgrades')
  @Requires('viewer')
  @ApiOperation({
    summary: 'Published versions newer than this one, each marked direct or with the line to pass first',
  })
  @ApiOkResponse({ type: AvailableTargetView, isArray: true })
  @ApiProblemResponses(400, 404)
  upgrades(
    @Param() { componentId, versionId }: ComponentVersionParams,
    @Query() query: AvailableTargetsQuery,
  ): Promise<AvailableTargetView[]> {
    return this.paths.upgrades(componentId, versionId, query);
  }

  @Get('versions/:versionId/available-downgrades')
  @Requires('viewer')
  @ApiOperation({
    summary:
      'Older releases that allow downgrades to them, each marked direct or with the line to pass first',
  })
  @ApiOkResponse({ type: AvailableTargetView, isArray: true })
  @ApiProblemResponses(400, 404)
  downgrades(
    @Param() { componentId, versionId }: ComponentVersionParams,
    @Query() query: AvailableTargetsQuery,
  ): Promise<AvailableTargetView[]> {
    return this.paths.downgrades(componentId, versionId, query);
  }
}
