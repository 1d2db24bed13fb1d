import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { Requires } from '@upshift/http';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiProblemResponses } from '../common/openapi';
import { ApiPagedOkResponse, PageQuery, sendPage } from '../common/paging';
import { ComponentParams } from '../common/path-params';
import { ComponentsService } from './components.service';
import { ComponentView } from './dto/component.view';
import { CreateComponentRequest } from './dto/create-component.request';

@ApiTags('components')
@Controller('components')
export class ComponentsController {
  constructor(private readonly components: ComponentsService) {}

  @Post()
  @Requires('admin', 'component.create')
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a component (its name is unique)' })
  @ApiCreatedResponse({ type: ComponentView })
  @ApiProblemResponses(400, 409)
  create(@Body() request: CreateComponentRequest): Promise<ComponentView> {
    return this.components.create(request);
  }

  @Get()
  @Requires('viewer')
  @ApiOperation({ summary: 'List components by name, one page at a time' })
  @ApiPagedOkResponse(ComponentView)
  @ApiProblemResponses(400)
  async list(
    @Query() query: PageQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ComponentView[]> {
    return sendPage(request, response, query, await this.components.list(query));
  }

  @Get(':componentId')
  @Requires('viewer')
  @ApiOperation({ summary: 'Get one component' })
  @ApiOkResponse({ type: ComponentView })
  @ApiProblemResponses(400, 404)
  get(@Param() { componentId }: ComponentParams): Promise<ComponentView> {
    return this.components.get(componentId);
  }
}
