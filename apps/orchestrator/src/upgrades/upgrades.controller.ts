import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { Requires } from '@upshift/http';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiAnswers } from './openapi-schemas';
import { CreateUpgradeRequest } from '@upshift/contracts';
import type { ExecutionStatistics, UpgradeExecutionView } from '@upshift/contracts';
import { ListUpgradesQuery } from './dto/list-upgrades.query';
import { InstancesQuery } from './dto/instances.query';
import { TranscriptQuery } from './dto/transcript.query';
import { badRequest, CurrentPrincipal } from '@upshift/http';
import type { AuthenticatedRequest, Principal } from '@upshift/http';
import type { FieldError } from '@upshift/contracts';
import { INITIATED_BY_MAX, REASON_MAX, RollbackBody } from './dto/rollback.body';
import type { InstancePage, TranscriptView, UpgradePage } from './upgrades.service';
import { UpgradesService } from './upgrades.service';

/** What every operation (start, promote-canary, pause, resume, cancel, rollback) answers. */
const OperationAnswers = () =>
  ApiAnswers(
    { status: 200, schema: 'UpgradeExecutionView', description: 'The execution after the operation' },
    [400, 404, 409],
  );

/**
 * The public REST contract (docs/api-contract.md), path for path (under the global prefix /api/v1/registry). Each handler
 * only maps HTTP to one UpgradesService call.
 */
@ApiTags('upgrades')
@Controller()
export class UpgradesController {
  constructor(private readonly upgrades: UpgradesService) {}

  @Post('tenants/:tenantId/upgrades')
  @Requires('operator', 'upgrade.create')
  @ApiOperation({ summary: 'Initiate an upgrade (201 with the execution, status PENDING)' })
  @ApiBody({ type: CreateUpgradeRequest })
  @ApiAnswers(
    { status: 201, schema: 'UpgradeExecutionView', description: 'The execution, PENDING' },
    [400, 404, 409, 422, 503],
  )
  create(
    @Param('tenantId') tenantId: string,
    @Body() body: CreateUpgradeRequest,
    @Req() request: AuthenticatedRequest,
  ): Promise<UpgradeExecutionView> {
    if (body.initiatedBy !== undefined && request.auditContext)
      request.auditContext.claimedBy = body.initiatedBy;
    return this.upgrades.create(tenantId, body);
  }

  @Get('tenants/:tenantId/upgrades')
  @Requires('viewer')
  @ApiOperation({ summary: "List a tenant's executions, newest first" })
  @ApiAnswers({ status: 200, schema: 'UpgradePage', description: 'One page of executions' }, [400])
  list(@Param('tenantId') tenantId: string, @Query() query: ListUpgradesQuery): Promise<UpgradePage> {
    return this.upgrades.list(tenantId, query);
  }

  @Get('tenants/:tenantId/components/:componentId/upgrades/active')
  @Requires('viewer')
  @ApiOperation({ summary: 'The active execution of a component (404 when none)' })
  @ApiAnswers(
    { status: 200, schema: 'UpgradeExecutionView', description: 'The active execution' },
    [400, 404],
  )
  active(
    @Param('tenantId') tenantId: string,
    @Param('componentId') componentId: string,
  ): Promise<UpgradeExecutionView> {
    return this.upgrades.active(tenantId, componentId);
  }

  @Get('components/:componentId/upgrade-statistics')
  @Requires('viewer')
  @ApiOperation({ summary: 'ExecutionStatistics of a component' })
  @ApiAnswers(
    { status: 200, schema: 'ExecutionStatistics', description: 'The ExecutionStatistics of the component' },
    [404, 503],
  )
  statistics(
    @Param('componentId') componentId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutionStatistics> {
    return this.upgrades.statistics(componentId, principal);
  }

  @Get('upgrades/:executionId')
  @Requires('viewer')
  @ApiOperation({ summary: 'Get an execution by id' })
  @ApiAnswers({ status: 200, schema: 'UpgradeExecutionView', description: 'The execution' }, [404])
  get(
    @Param('executionId') executionId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UpgradeExecutionView> {
    return this.upgrades.get(executionId, principal);
  }

  @Get('upgrades/:executionId/instances')
  @Requires('viewer')
  @ApiOperation({
    summary: "An execution's instances, one page at a time, in the order batches take them",
    description:
      'The execution view lists every instance; this list reads a large execution in pages, optionally of ' +
      'one status. Pass `next` as `cursor` for the following page; `next` is null at the last instance.',
  })
  @ApiAnswers({ status: 200, schema: 'InstancePage', description: 'One page of instances' }, [400, 404])
  instances(
    @Param('executionId') executionId: string,
    @Query() query: InstancesQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<InstancePage> {
    return this.upgrades.instances(executionId, principal, query);
  }

  @Get('upgrades/:executionId/transcript')
  @Requires('viewer')
  @ApiOperation({
    summary: 'The human-readable transcript of an execution, oldest line first, one page at a time',
    description:
      'Pass `next` as `after` for the following page; `next` is null at the last line written so far ' +
      '(to follow a running execution, ask again later with the last line id as `after`).',
  })
  @ApiAnswers({ status: 200, schema: 'Transcript', description: 'One line per step' }, [400, 404])
  transcript(
    @Param('executionId') executionId: string,
    @Query() query: TranscriptQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TranscriptView> {
    return this.upgrades.transcript(executionId, principal, query);
  }

  @Post('upgrades/:executionId/start')
  @Requires('operator', 'upgrade.start')
  @HttpCode(200)
  @ApiOperation({ summary: 'PENDING → VALIDATING; the five checks run asynchronously' })
  @OperationAnswers()
  start(
    @Param('executionId') executionId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UpgradeExecutionView> {
    return this.upgrades.operate(executionId, 'start', principal);
  }

  @Post('upgrades/:executionId/promote-canary')
  @Requires('operator', 'upgrade.promote-canary')
  @HttpCode(200)
  @ApiOperation({ summary: 'CANARY_MONITORING → IN_PROGRESS: roll the rest out with the rolling planner' })
  @OperationAnswers()
  promote(
    @Param('executionId') executionId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UpgradeExecutionView> {
    return this.upgrades.operate(executionId, 'promote-canary', principal);
  }

  @Post('upgrades/:executionId/pause')
  @Requires('operator', 'upgrade.pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop starting batches (in-flight instances finish)' })
  @OperationAnswers()
  pause(
    @Param('executionId') executionId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UpgradeExecutionView> {
    return this.upgrades.operate(executionId, 'pause', principal);
  }

  @Post('upgrades/:executionId/resume')
  @Requires('operator', 'upgrade.resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'PAUSED → IN_PROGRESS, continuing where it stopped' })
  @OperationAnswers()
  resume(
    @Param('executionId') executionId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UpgradeExecutionView> {
    return this.upgrades.operate(executionId, 'resume', principal);
  }

  @Post('upgrades/:executionId/cancel')
  @Requires('operator', 'upgrade.cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Stop new work; → CANCELLED',
    description: 'Refused (409) in VALIDATING, which ends by itself, and ROLLING_BACK (ADR 0001).',
  })
  @OperationAnswers()
  cancel(
    @Param('executionId') executionId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UpgradeExecutionView> {
    return this.upgrades.operate(executionId, 'cancel', principal);
  }

  @Post('upgrades/:executionId/rollback')
  @Requires('operator', 'upgrade.rollback')
  @HttpCode(200)
  @ApiOperation({ summary: 'Roll back every upgraded or health-checking instance; → ROLLING_BACK' })
  @OperationAnswers()
  @ApiQuery({ name: 'reason', required: false })
  @ApiBody({ type: RollbackBody, required: false })
  rollback(
    @Param('executionId') executionId: string,
    @Query('reason') reason: string | undefined,
    // A plain class type (not `| undefined`): the validation pipe only runs on a recorded class, and an
    // absent body is validated as {}.
    @Body() body: RollbackBody,
    @Headers('x-initiated-by') initiatedByHeader: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Req() request: AuthenticatedRequest,
  ): Promise<UpgradeExecutionView> {
    const problems = [
      ...checkLength('reason', reason, REASON_MAX),
      ...checkLength('X-Initiated-By', initiatedByHeader, INITIATED_BY_MAX),
    ];
    if (problems.length > 0) throw badRequest(problems);
    // Who acted is the token's subject; a free-text initiatedBy is kept as given in the audit record.
    const claimedBy = body.initiatedBy ?? initiatedByHeader;
    if (claimedBy !== undefined && request.auditContext) request.auditContext.claimedBy = claimedBy;
    return this.upgrades.operate(executionId, 'rollback', principal, reason ?? body.reason);
  }
}

/** The same bounds as the body's fields, for the query parameter and the header that stand in for them. */
function checkLength(field: string, value: string | undefined, max: number): FieldError[] {
  if (value === undefined) return [];
  if (value.length < 1 || value.length > max) {
    return [{ field, message: `${field} must be between 1 and ${max} characters long` }];
  }
  return [];
}
