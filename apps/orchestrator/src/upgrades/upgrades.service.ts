import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, QueryFailedError } from 'typeorm';
import { ExecutionStatus, InstanceStatus, TENANT_ID_PATTERN, withDefaults } from '@upshift/contracts';
import type { CreateUpgradeRequest, ExecutionStatistics, UpgradeExecutionView } from '@upshift/contracts';
import {
  allowedOperations,
  computeStatistics,
  totalBatches,
  transitionExecution,
  operationEvent,
} from '@upshift/domain';
import type { ExecutionOperation } from '@upshift/domain';
import { ExecutionEntity, ExecutionInstanceEntity, ValidationResultEntity } from '../database/entities';
import { badRequest, notFound, ProblemException } from '../common/problem';
import { ExecutionEngine } from '../engine/execution-engine';
import { ExecutionStore } from '../engine/execution.store';
import { planInput } from '../engine/plan-input';
import { RegistryClient } from '../registry/registry.client';
import { toExecutionView } from './execution-view';
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
  lines: { at: string; line: string }[];
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
      throw new ProblemException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'Unprocessable Entity',
        `totalInstances is ${request.totalInstances} but tenant ${tenantId} has only ${candidates.length} ` +
          `instance(s) of component ${request.componentId} at version ${from.version}; ask for at most ${candidates.length}.`,
        { availableInstances: candidates.length, requestedInstances: request.totalInstances },
      );
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
      Object.assign(new ExecutionInstanceEntity(), {
        executionId: execution.id,
        id: c.id,
        position,
        name: c.name,
        agentUrl: c.agentUrl,
        status: InstanceStatus.PENDING,
        batch: null,
        failedAt: null,
        startedAt: null,
        completedAt: null,
        error: null,
        pendingCommandId: null,
        pendingCommandType: null,
        pendingCommandIssuedAt: null,
        attempt: 0,
        rollbackFailed: false,
      } satisfies ExecutionInstanceEntity),
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

  async get(executionId: string): Promise<UpgradeExecutionView> {
    const loaded = UUID.test(executionId) ? await this.store.load(executionId) : null;
    if (loaded === null) throw notFound('Upgrade execution', executionId);
    return toExecutionView(loaded.execution, loaded.instances, loaded.validation);
  }

  async active(tenantId: string, componentId: string): Promise<UpgradeExecutionView> {
    assertTenant(tenantId);
    const active = await this.repository.findActive(tenantId, componentId);
    if (active === null) {
      throw new ProblemException(
        HttpStatus.NOT_FOUND,
        'Not Found',
        `Tenant ${tenantId} has no active upgrade execution for component ${componentId}`,
      );
    }
    return this.get(active.id);
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

  /** A component id that cannot exist is a 404; a real one with no executions yet has all-zero statistics. */
  async statistics(componentId: string): Promise<ExecutionStatistics> {
    if (!UUID.test(componentId)) throw notFound('Component', componentId);
    const rows = await this.repository.forStatistics(componentId);
    return computeStatistics(componentId, rows);
  }

  async transcript(executionId: string): Promise<TranscriptView> {
    if (!UUID.test(executionId) || (await this.store.load(executionId)) === null) {
      throw notFound('Upgrade execution', executionId);
    }
    const lines = await this.repository.transcript(executionId);
    return { executionId, lines: lines.map((l) => ({ at: l.at.toISOString(), line: l.line })) };
  }

  /**
   * One operator operation: refused with 409 (status unchanged, nothing written) unless the domain's
   * transition table allows it from the current status, checked under the row lock.
   */
  async operate(
    executionId: string,
    operation: ExecutionOperation,
    context: { reason?: string; initiatedBy?: string } = {},
  ): Promise<UpgradeExecutionView> {
    if (!UUID.test(executionId)) throw notFound('Upgrade execution', executionId);
    const done = await this.store.withLocked(executionId, (tx) => {
      const status = tx.execution.status;
      const check = transitionExecution(status, operationEvent(operation));
      if (!check.ok) {
        const allowed = allowedOperations(status);
        throw new ProblemException(
          HttpStatus.CONFLICT,
          'Conflict',
          `Cannot ${operation} execution ${executionId}: it is ${status}. ` +
            (allowed.length > 0
              ? `Allowed now: ${allowed.join(', ')}.`
              : 'It has finished; nothing more can be done.'),
          { currentStatus: status, allowedOperations: allowed, operation },
        );
      }
      this.engine.operate(tx, operation, context);
      return true;
    });
    if (done === null) throw notFound('Upgrade execution', executionId);
    this.logger.log({ executionId, operation }, 'operation applied');
    return this.get(executionId);
  }
}

function assertTenant(tenantId: string): void {
  if (!TENANT.test(tenantId)) {
    throw badRequest([{ field: 'tenantId', message: `tenantId must match ${TENANT_ID_PATTERN}` }]);
  }
}

function activeConflict(active: ExecutionEntity): ProblemException {
  return new ProblemException(
    HttpStatus.CONFLICT,
    'Conflict',
    `Execution ${active.id} (${active.status}) is already active for tenant ${active.tenantId} and component ` +
      `${active.componentId}; wait for it to finish or cancel it first.`,
    {
      activeExecutionId: active.id,
      currentStatus: active.status,
      allowedOperations: allowedOperations(active.status),
    },
  );
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505';
}
