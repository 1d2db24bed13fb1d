import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, QueryFailedError } from 'typeorm';
import { ExecutionStatus, TENANT_ID_PATTERN, withDefaults } from '@upshift/contracts';
import type {
  CreateUpgradeRequest,
  ExecutionStatistics,
  InstanceStatus,
  UpgradeExecutionView,
  UpgradeInstanceView,
} from '@upshift/contracts';
import {
  allowedOperations,
  isTerminal,
  statisticsFromTallies,
  totalBatches,
  transitionExecution,
  operationEvent,
} from '@upshift/domain';
import type { ExecutionOperation } from '@upshift/domain';
import {
  ExecutionEntity,
  ExecutionInstanceEntity,
  pendingInstance,
  ValidationResultEntity,
} from '../database/entities';
import {
  badRequest,
  canSeeTenant,
  notFound,
  ProblemException,
  ProblemType,
  tenantFilter,
} from '@upshift/http';
import { noteAuditTenant } from '@upshift/http';
import type { Principal } from '@upshift/http';
import { ExecutionEngine } from '../engine/execution-engine';
import { ExecutionStore } from '../engine/execution.store';
import { planInput } from '../engine/plan-input';
import { RegistryClient } from '../registry/registry.client';
import { toExecutionView, toInstanceView } from './execution-view';
import { tooFewInstances } from './instance-shortfall';
import type { ListUpgradesQuery } from './dto/list-upgrades.query';
import { UpgradesRepository } from './upgrades.repository';

export interface UpgradePage {
  content: UpgradeExecutionView[];
  page: number;
  size: number;
  totalElements: number;
  totalPages: number;
}

export interface TranscriptView {
  executionId: string;
  /** Oldest first; `id` is the line's place in the transcript, a decimal string usable as `after`. */
  lines: { id: string; at: string; line: string }[];
  /** The `after` of the next page; null when this page reaches the last line written so far. */
  next: string | null;
}

export interface InstancePage {
  executionId: string;
  /** In the order batches take them. */
  instances: UpgradeInstanceView[];
  /** The `cursor` of the next page; null when this page holds the last matching instance. */
  next: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT = new RegExp(TENANT_ID_PATTERN);

/** The REST use cases: validation against the registry, then one ExecutionStore transaction each. */
@Injectable()
export class UpgradesService {
  private readonly logger = new Logger(UpgradesService.name);

  constructor(
    private readonly store: ExecutionStore,
    private readonly engine: ExecutionEngine,
    private readonly registry: RegistryClient,
    private readonly repository: UpgradesRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async create(tenantId: string, body: CreateUpgradeRequest): Promise<UpgradeExecutionView> {
    assertTenant(tenantId);
    const request = withDefaults(body);
    const active = await this.repository.findActive(tenantId, request.componentId);
    if (active !== null) throw activeConflict(active);

    const [from, to] = await Promise.all([
      this.registry.getVersion(request.componentId, request.fromVersionId),
      this.registry.getVersion(request.componentId, request.toVersionId),
    ]);
    const missing = [
      from === null ? `fromVersionId ${request.fromVersionId}` : null,
      to === null ? `toVersionId ${request.toVersionId}` : null,
    ].filter((m): m is string => m !== null);
    if (from === null || to === null) {
      throw new ProblemException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'Unprocessable Entity',
        `${missing.join(' and ')} ${missing.length > 1 ? 'are not versions' : 'is not a version'} of component ${request.componentId}`,
        {
          blockers: missing.map((m) => ({
            code: 'VERSION_NOT_IN_COMPONENT',
            message: `${m} is not a version of component ${request.componentId}`,
          })),
        },
      );
    }

    const path = await this.registry.validatePath(request.componentId, {
      fromVersionId: request.fromVersionId,
      toVersionId: request.toVersionId,
      installedComponents: request.installedComponents,
    });
    if (!path.valid || path.blockers.length > 0) {
      throw new ProblemException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'Unprocessable Entity',
        `The registry does not allow upgrading ${from.version} → ${to.version}: ` +
          path.blockers.map((b) => `${b.code}: ${b.message}`).join('; '),
        { blockers: path.blockers, warnings: path.warnings },
      );
    }

    const candidates = await this.registry.listInstances(
      tenantId,
      request.componentId,
      request.fromVersionId,
    );
    if (candidates.length < request.totalInstances) {
      // Say where the instances are instead: often a repeated request after an earlier run moved them.
      const [component, everyInstance] = await Promise.all([
        this.registry.getComponent(request.componentId),
        this.registry.listInstances(tenantId, request.componentId),
      ]);
      throw tooFewInstances({
        tenantId,
        componentName: component?.name ?? `component ${request.componentId}`,
        fromVersion: from.version,
        requestedInstances: request.totalInstances,
        availableInstances: candidates.length,
        versionsOfAll: everyInstance.map((instance) => instance.version),
      });
    }

    const now = new Date();
    const execution = Object.assign(new ExecutionEntity(), {
      id: randomUUID(),
      tenantId,
      ...request,
      status: ExecutionStatus.PENDING,
      statusReason: null,
      phase: request.strategy === 'CANARY' ? 'CANARY' : 'ROLLOUT',
      halted: false,
      completedInstances: 0,
      failedInstances: 0,
      currentBatch: 0,
      totalBatches: 0,
      approvedStage: 0,
      lastBatchCompletedAt: null,
      nextCanaryCheckAt: null,
      progressSequence: 0,
      leaseVersion: 0,
      fromVersion: from.version,
      toVersion: to.version,
      artifactUrl: to.artifact.url,
      artifactSha256: to.artifact.sha256,
      artifactSignature: to.artifact.signature,
      targetDependencies: to.dependencies,
      rollbackReason: null,
      rollbackInitiatedAt: null,
      rollbackInitiatedBy: null,
      createdAt: now,
      startedAt: null,
      completedAt: null,
      updatedAt: now,
    } satisfies Partial<ExecutionEntity>);
    execution.totalBatches = totalBatches(planInput(execution));
    const instances = candidates.slice(0, request.totalInstances).map((c, position) =>
      pendingInstance({
        executionId: execution.id,
        id: c.id,
        position,
        name: c.name,
        agentUrl: c.agentUrl,
        // Flagged, not refused: the execution is how such an instance is brought forward (ADR 0092).
        outOfSupport: c.outOfSupport === true,
      }),
    );
    try {
      await this.store.insert(execution, instances, (tx) => this.engine.created(tx, path.warnings));
    } catch (error) {
      if (isUniqueViolation(error)) {
        const winner = await this.repository.findActive(tenantId, request.componentId);
        if (winner !== null) throw activeConflict(winner);
      }
      throw error;
    }
    return toExecutionView(execution, instances, []);
  }

  /** Another tenant's execution answers exactly as one that does not exist. */
  async get(executionId: string, principal: Principal): Promise<UpgradeExecutionView> {
    const loaded = UUID.test(executionId) ? await this.store.load(executionId) : null;
    if (loaded !== null) noteAuditTenant(loaded.execution.tenantId);
    if (loaded === null || !canSeeTenant(principal, loaded.execution.tenantId)) {
      throw notFound('Upgrade execution', executionId);
    }
    return toExecutionView(loaded.execution, loaded.instances, loaded.validation);
  }

  /** The caller's tenant was checked by the AuthGuard (`:tenantId`). */
  async active(tenantId: string, componentId: string): Promise<UpgradeExecutionView> {
    assertTenant(tenantId);
    // Component ids are the registry's UUIDs: anything else has no execution (and a NUL byte, which
    // PostgreSQL refuses in text, must not reach the query as a 500).
    const active = UUID.test(componentId) ? await this.repository.findActive(tenantId, componentId) : null;
    if (active === null) {
      throw new ProblemException(
        HttpStatus.NOT_FOUND,
        'Not Found',
        `Tenant ${tenantId} has no active upgrade execution for component ${componentId}`,
      );
    }
    return this.view(active.id);
  }

  private async view(executionId: string): Promise<UpgradeExecutionView> {
    const loaded = await this.store.load(executionId);
    if (loaded === null) throw notFound('Upgrade execution', executionId);
    return toExecutionView(loaded.execution, loaded.instances, loaded.validation);
  }

  async list(tenantId: string, query: ListUpgradesQuery): Promise<UpgradePage> {
    assertTenant(tenantId);
    const { rows, total } = await this.repository.page(tenantId, query.status, query.page, query.size);
    const ids = rows.map((r) => r.id);
    const [instances, validation] =
      ids.length === 0
        ? [[], []]
        : await Promise.all([
            this.dataSource
              .getRepository(ExecutionInstanceEntity)
              .find({ where: { executionId: In(ids) }, order: { position: 'ASC' } }),
            this.dataSource.getRepository(ValidationResultEntity).find({ where: { executionId: In(ids) } }),
          ]);
    return {
      content: rows.map((e) =>
        toExecutionView(
          e,
          instances.filter((i) => i.executionId === e.id),
          validation.filter((v) => v.executionId === e.id),
        ),
      ),
      page: query.page,
      size: query.size,
      totalElements: total,
      totalPages: Math.ceil(total / query.size),
    };
  }

  /**
   * A component the registry does not know is a 404, as for any unknown id (the registry being down is
   * a 503 from the client); a real one with no executions yet has all-zero statistics.
   */
  async statistics(componentId: string, principal: Principal): Promise<ExecutionStatistics> {
    if (!UUID.test(componentId) || (await this.registry.getComponent(componentId)) === null) {
      throw notFound('Component', componentId);
    }
    const tallies = await this.repository.statisticsTallies(componentId, tenantFilter(principal));
    return statisticsFromTallies(componentId, tallies);
  }

  async transcript(
    executionId: string,
    principal: Principal,
    page: { limit: number; after?: string },
  ): Promise<TranscriptView> {
    await this.assertVisible(executionId, principal);
    const { lines, more } = await this.repository.transcriptPage(executionId, page.after ?? null, page.limit);
    const last = lines[lines.length - 1];
    return {
      executionId,
      lines: lines.map((l) => ({ id: l.id, at: l.at.toISOString(), line: l.line })),
      next: more && last !== undefined ? last.id : null,
    };
  }

  /**
   * 404 unless the execution exists and the caller may see its tenant, reading its tenant alone: the
   * paged reads must not load every instance of a large execution just to check who may read them.
   */
  private async assertVisible(executionId: string, principal: Principal): Promise<void> {
    const tenantId = UUID.test(executionId) ? await this.repository.tenantOf(executionId) : null;
    if (tenantId !== null) noteAuditTenant(tenantId);
    if (tenantId === null || !canSeeTenant(principal, tenantId))
      throw notFound('Upgrade execution', executionId);
  }

  /** One page of an execution's instances (`GET /upgrades/:executionId/instances`). */
  async instances(
    executionId: string,
    principal: Principal,
    query: { status?: InstanceStatus; limit: number; cursor?: string },
  ): Promise<InstancePage> {
    await this.assertVisible(executionId, principal);
    const after = query.cursor === undefined ? null : Number(query.cursor);
    const { instances, more } = await this.repository.instancePage(
      executionId,
      query.status,
      after,
      query.limit,
    );
    const last = instances[instances.length - 1];
    return {
      executionId,
      instances: instances.map(toInstanceView),
      next: more && last !== undefined ? String(last.position) : null,
    };
  }

  /**
   * One operator operation: refused with 409 (status unchanged, nothing written) unless the domain's
   * transition table allows it from the current status, checked under the row lock.
   */
  async operate(
    executionId: string,
    operation: ExecutionOperation,
    principal: Principal,
    reason?: string,
  ): Promise<UpgradeExecutionView> {
    if (!UUID.test(executionId)) throw notFound('Upgrade execution', executionId);
    const done = await this.store.withLocked(executionId, (tx) => {
      noteAuditTenant(tx.execution.tenantId);
      // Thrown inside: the transaction aborts and nothing is written.
      if (!canSeeTenant(principal, tx.execution.tenantId)) throw notFound('Upgrade execution', executionId);
      const status = tx.execution.status;
      const check = transitionExecution(status, operationEvent(operation));
      if (!check.ok) {
        const allowed = allowedOperations(status);
        throw new ProblemException(
          HttpStatus.CONFLICT,
          'The operation is not allowed in the current status',
          `Cannot ${operation} execution ${executionId}: it is ${status}. ${whatNow(status, allowed)}`,
          { currentStatus: status, allowedOperations: allowed, operation },
          { type: ProblemType.INVALID_TRANSITION },
        );
      }
      this.engine.operate(tx, operation, { actor: principal.sub, reason });
      return true;
    });
    if (done === null) throw notFound('Upgrade execution', executionId);
    this.logger.log({ executionId, operation, actor: principal.sub }, 'operation applied');
    return this.view(executionId);
  }
}

function assertTenant(tenantId: string): void {
  if (!TENANT.test(tenantId)) {
    throw badRequest([{ field: 'tenantId', message: `tenantId must match ${TENANT_ID_PATTERN}` }]);
  }
}

/** What a refused operation's caller can do instead, in the status the execution is in. */
function whatNow(status: ExecutionStatus, allowed: readonly string[]): string {
  if (allowed.length > 0) return `Allowed now: ${allowed.join(', ')}.`;
  if (isTerminal(status)) return 'It has finished; nothing more can be done.';
  if (status === ExecutionStatus.VALIDATING) {
    return 'The pre-upgrade checks are still running; nothing can be done until they finish (follow GET /upgrades/{id}).';
  }
  return 'It is rolling back; nothing can be done until the rollback finishes (follow GET /upgrades/{id}).';
}

function activeConflict(active: ExecutionEntity): ProblemException {
  return new ProblemException(
    HttpStatus.CONFLICT,
    'An upgrade of this component is already active',
    `Execution ${active.id} (${active.status}) is already active for tenant ${active.tenantId} and component ` +
      `${active.componentId}; wait for it to finish or cancel it first.`,
    {
      activeExecutionId: active.id,
      currentStatus: active.status,
      allowedOperations: allowedOperations(active.status),
    },
    { type: ProblemType.ACTIVE_EXECUTION_EXISTS },
  );
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505';
}
