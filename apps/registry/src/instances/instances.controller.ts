import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { Requires } from '@upshift/http';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiProblemResponses } from '../common/openapi';
import { ApiPagedOkResponse, sendPage } from '../common/paging';
import { TenantInstanceParams, TenantParams } from '../common/path-params';
import {
  ListInstancesQuery,
  ListOutOfSupportInstancesQuery,
  RegisterInstanceRequest,
  UpdateInstanceVersionRequest,
  UpdateInstanceVersionsRequest,
} from './dto/instance.requests';
import { InstanceVersionsUpdated, InstanceView } from './dto/instance.view';
import { InstancesService } from './instances.service';

@ApiTags('inventory')
@Controller('tenants/:tenantId/instances')
export class InstancesController {
  constructor(private readonly instances: InstancesService) {}

  @Post()
  @Requires('operator', 'instance.register')
  @ApiOperation({
    summary: 'Register an instance (upsert by tenant, component and name)',
    description: '201 when the instance is new, 200 when an instance of that name was updated.',
  })
  @ApiCreatedResponse({ type: InstanceView })
  @ApiOkResponse({ type: InstanceView, description: 'An existing instance of that name was updated' })
  @ApiProblemResponses(400, 404)
  async register(
    @Param() { tenantId }: TenantParams,
    @Body() request: RegisterInstanceRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<InstanceView> {
    const { view, created } = await this.instances.register(tenantId, request);
    response.status(created ? 201 : 200);
    return view;
  }

  @Get()
  @Requires('viewer')
  @ApiOperation({
    summary: "List a tenant's instances by name, optionally of one component or version, one page at a time",
  })
  @ApiPagedOkResponse(InstanceView)
  @ApiProblemResponses(400)
  async list(
    @Param() { tenantId }: TenantParams,
    @Query() query: ListInstancesQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<InstanceView[]> {
    return sendPage(request, response, query, await this.instances.list(tenantId, query));
  }

  /** Declared before `:instanceId`, so the literal segment is not read as an instance id. */
  @Get('out-of-support')
  @Requires('viewer')
  @ApiOperation({
    summary:
      "Addition (ADR 0092): a tenant's instances more than one major behind their component's newest published version",
    description:
      'Paged and ordered like the instance list, optionally of one component. Being out of support blocks ' +
      'nothing: an execution can still move such an instance forward along the allowed path.',
  })
  @ApiPagedOkResponse(InstanceView)
  @ApiProblemResponses(400)
  async listOutOfSupport(
    @Param() { tenantId }: TenantParams,
    @Query() query: ListOutOfSupportInstancesQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<InstanceView[]> {
    return sendPage(request, response, query, await this.instances.listOutOfSupport(tenantId, query));
  }

  @Get(':instanceId')
  @Requires('viewer')
  @ApiOperation({ summary: 'Get one instance' })
  @ApiOkResponse({ type: InstanceView })
  @ApiProblemResponses(400, 404)
  get(@Param() { tenantId, instanceId }: TenantInstanceParams): Promise<InstanceView> {
    return this.instances.get(tenantId, instanceId);
  }

  @Patch()
  @Requires('operator', 'instance.record-versions')
  @ApiOperation({
    summary: 'Record the new versions of several instances at once',
    description:
      'Called by the orchestrator when a batch of instances completes or is rolled back: one transaction. ' +
      'Instances the tenant does not have are listed as `missing` (nothing to record); a version that is ' +
      "not of its instance's component refuses the whole request with 404.",
  })
  @ApiOkResponse({ type: InstanceVersionsUpdated })
  @ApiProblemResponses(400, 404)
  setVersions(
    @Param() { tenantId }: TenantParams,
    @Body() request: UpdateInstanceVersionsRequest,
  ): Promise<InstanceVersionsUpdated> {
    return this.instances.setVersions(tenantId, request.updates);
  }

  @Patch(':instanceId')
  @Requires('operator', 'instance.record-version')
  @ApiOperation({
    summary: "Record the instance's new version",
    description: 'Called by the orchestrator when an instance completes an upgrade or is rolled back.',
  })
  @ApiOkResponse({ type: InstanceView })
  @ApiProblemResponses(400, 404)
  setVersion(
    @Param() { tenantId, instanceId }: TenantInstanceParams,
    @Body() request: UpdateInstanceVersionRequest,
  ): Promise<InstanceView> {
    return this.instances.setVersion(tenantId, instanceId, request.versionId);
  }

  @Delete(':instanceId')
  @Requires('operator', 'instance.remove')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an instance from the inventory' })
  @ApiNoContentResponse()
  @ApiProblemResponses(400, 404)
  remove(@Param() { tenantId, instanceId }: TenantInstanceParams): Promise<void> {
    return this.instances.remove(tenantId, instanceId);
  }
}
