import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/openapi';
import { ComponentParams } from '../common/path-params';
import { ComponentsService } from './components.service';
import { ComponentView } from './dto/component.view';
import { CreateComponentRequest } from './dto/create-component.request';

@ApiTags('components')
@Controller('components')
export class ComponentsController {
  constructor(private readonly components: ComponentsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a component (its name is unique)' })
  @ApiCreatedResponse({ type: ComponentView })
  @ApiProblemResponses(400, 409)
  create(@Body() request: CreateComponentRequest): Promise<ComponentView> {
    return this.components.create(request);
  }

  @Get()
  @ApiOperation({ summary: 'List components by name' })
  @ApiOkResponse({ type: ComponentView, isArray: true })
  list(): Promise<ComponentView[]> {
    return this.components.list();
  }

  @Get(':componentId')
  @ApiOperation({ summary: 'Get one component' })
  @ApiOkResponse({ type: ComponentView })
  @ApiProblemResponses(400, 404)
  get(@Param() { componentId }: ComponentParams): Promise<ComponentView> {
    return this.components.get(componentId);
  }
}
