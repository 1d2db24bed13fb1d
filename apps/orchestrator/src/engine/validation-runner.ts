import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import * as semver from 'semver';
import { ProblemException } from '@upshift/http';
import { ExecutionStatus, ValidationCheck } from '@upshift/contracts';
import { AgentClient } from '../agent/agent.client';
import type { AgentStatusReading } from '../agent/agent.client';
import type { ExecutionEntity, ExecutionInstanceEntity } from '../database/entities';
import { mapLimit } from '../common/map-limit';
import { RegistryClient, registryUnavailable } from '../registry/registry.client';
import type { RegistryVersion } from '../registry/registry.client';
import type { CheckOutcome } from './execution-transaction';
import { ExecutionEngine } from './execution-engine';
import { ExecutionStore } from './execution.store';

const AGENT_CONCURRENCY = 32;
/**
 * How long VERSION_COMPATIBILITY keeps asking a registry that cannot answer (a restart, its database
 * failing over) before it fails the check: a blip must not fail an upgrade, an outage still does.
 */
export const REGISTRY_PATIENCE_MS = 30_000;

/**
 * The five pre-upgrade checks of docs/api-contract.md. They run outside any transaction (they call
 * the registry and every instance's agent), then one transaction records them and moves the execution on. The
 * agent checks ask each agent directly (ADR 0041).
 */
@Injectable()
export class ValidationRunner {
  private readonly logger = new Logger(ValidationRunner.name);

  constructor(
    private readonly store: ExecutionStore,
    private readonly engine: ExecutionEngine,
    private readonly registry: RegistryClient,
    private readonly agents: AgentClient,
  ) {}

  async run(executionId: string): Promise<void> {
    const loaded = await this.store.load(executionId);
    if (loaded === null || loaded.execution.status !== ExecutionStatus.VALIDATING) return;
    const checks = await this.check(loaded.execution, loaded.instances);
    await this.store.withLocked(executionId, (tx) => this.engine.validationFinished(tx, checks));
  }

  async check(e: ExecutionEntity, instances: ExecutionInstanceEntity[]): Promise<CheckOutcome[]> {
    const [compatibility, statuses, health] = await Promise.all([
      this.versionCompatibility(e),
      mapLimit(instances, AGENT_CONCURRENCY, (i) =>
        this.agents.status({ tenantId: e.tenantId, agentUrl: i.agentUrl }),
      ),
      mapLimit(instances, AGENT_CONCURRENCY, (i) =>
        this.agents.health({ tenantId: e.tenantId, agentUrl: i.agentUrl }),
      ),
    ]);
    const named = (index: number) => instances[index]?.name ?? `#${index}`;

    const resourceProblems: string[] = [];
    const backupProblems: string[] = [];
    statuses.forEach((s, index) => {
      if (!s.ok) {
        resourceProblems.push(`${named(index)}: ${s.error}`);
        backupProblems.push(`${named(index)}: ${s.error}`);
        return;
      }
      const status: AgentStatusReading = s.value;
      const shortage = capacityShortage(status.capacity);
      if (shortage !== null) resourceProblems.push(`${named(index)}: ${shortage}`);
      if (status.lastBackupAt === null) backupProblems.push(`${named(index)}: no backup recorded`);
      else if (Number.isNaN(Date.parse(status.lastBackupAt)))
        backupProblems.push(`${named(index)}: unreadable lastBackupAt`);
    });
    const healthProblems = health.flatMap((h, index) => (h.ok ? [] : [`${named(index)}: ${h.error}`]));
    const n = instances.length;
    return [
      compatibility,
      summary(ValidationCheck.RESOURCE_AVAILABILITY, n, resourceProblems, 'report spare capacity'),
      summary(ValidationCheck.BACKUP_VERIFICATION, n, backupProblems, 'have a backup to roll back to'),
      summary(ValidationCheck.HEALTH_ENDPOINTS, n, healthProblems, 'answer their health endpoint'),
      dependencyCheck(e),
    ];
  }

  private async versionCompatibility(e: ExecutionEntity): Promise<CheckOutcome> {
    const check = ValidationCheck.VERSION_COMPATIBILITY;
    try {
      // Both in flight at once: the target's signature state is read now, not as it was at creation,
      // since a key may have been added (or removed) in between.
      const [result, target] = await whileRegistryRecovers(
        () =>
          Promise.all([
            this.registry.validatePath(e.componentId, {
              fromVersionId: e.fromVersionId,
              toVersionId: e.toVersionId,
              installedComponents: e.installedComponents ?? {},
            }),
            this.registry.getVersion(e.componentId, e.toVersionId),
          ]),
        {
          patienceMs: REGISTRY_PATIENCE_MS,
          onRetry: (error, delayMs) =>
            this.logger.warn(
              { executionId: e.id, delayMs, reason: errorText(error) },
              'the registry cannot answer the version check yet; asking again',
            ),
        },
      );
      const problems: string[] = [];
      if (!result.valid || result.blockers.length > 0) {
        problems.push(
          `registry blockers: ${result.blockers.map((b) => `${b.code}: ${b.message}`).join('; ')}`,
        );
      }
      const unsigned =
        target === null ? `target version ${e.toVersion} is not in the registry` : unsignedTarget(target);
      if (unsigned !== null) problems.push(unsigned);
      if (problems.length > 0) return { check, passed: false, detail: problems.join('; ') };
      const path = result.path.map((p) => p.version).join(' → ') || `${e.fromVersion} → ${e.toVersion}`;
      return { check, passed: true, detail: `upgrade path ${path} is valid` };
    } catch (error) {
      return { check, passed: false, detail: `registry unavailable: ${errorText(error)}` };
    }
  }
}

/**
 * Why agents would refuse the target's artifact for want of a valid signature, or null (ADR 0073): once
 * the component has signing keys, a version published unsigned (before the first key), or whose
 * verifying key was removed since, is no target; every instance would refuse it, one batch at a time.
 */
export function unsignedTarget(target: RegistryVersion): string | null {
  if (!target.signatureRequired) return null;
  if (!target.signed) {
    return (
      `target version ${target.version} is unsigned but its component has signing keys: agents that trust ` +
      'them refuse its artifact. Publish a new version signed by one of the keys (docs/signing.md) and target that.'
    );
  }
  if (target.signingKeyId === null) {
    return (
      `the key that signed target version ${target.version} is no longer registered for its component: ` +
      'agents refuse its artifact. Publish a new version signed by a registered key (docs/signing.md).'
    );
  }
  return null;
}

/** installedComponents against the target version's dependency ranges (semver). */
export function dependencyCheck(e: ExecutionEntity): CheckOutcome {
  const check = ValidationCheck.DEPENDENCY_CHECK;
  const installed = e.installedComponents ?? {};
  const ranges = Object.entries(e.targetDependencies);
  if (ranges.length === 0) return { check, passed: true, detail: `${e.toVersion} declares no dependencies` };
  const problems: string[] = [];
  for (const [name, range] of ranges) {
    const have = installed[name];
    if (have === undefined) {
      problems.push(`${name} ${range} required but not listed in installedComponents`);
      continue;
    }
    const version = semver.coerce(have)?.version ?? have;
    if (!semver.valid(version) || !semver.satisfies(version, range, { includePrerelease: true })) {
      problems.push(`${name} ${have} does not satisfy ${range}`);
    }
  }
  return problems.length === 0
    ? {
        check,
        passed: true,
        detail: `dependencies satisfied: ${ranges.map(([n, r]) => `${n} ${r}`).join(', ')}`,
      }
    : { check, passed: false, detail: problems.join('; ') };
}

function summary(check: ValidationCheck, total: number, problems: string[], what: string): CheckOutcome {
  if (problems.length === 0) return { check, passed: true, detail: `all ${total} instance(s) ${what}` };
  const shown = problems.slice(0, 10).join('; ');
  const more = problems.length > 10 ? `; and ${problems.length - 10} more` : '';
  return {
    check,
    passed: false,
    detail: `${problems.length} of ${total} instance(s) do not ${what}: ${shown}${more}`,
  };
}

function errorText(error: unknown): string {
  if (error instanceof ProblemException) return error.detail;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `ask` until it succeeds, fails otherwise than by the registry being unavailable, or `patienceMs`
 * have passed since the first attempt (the last failure is then rethrown). Waits 0.5 s, 1 s, 2 s … up to
 * 5 s between attempts.
 */
export async function whileRegistryRecovers<T>(
  ask: () => Promise<T>,
  options: {
    patienceMs: number;
    onRetry?: (error: unknown, delayMs: number) => void;
    wait?: (ms: number) => Promise<unknown>;
    now?: () => number;
  },
): Promise<T> {
  const { patienceMs, onRetry, wait = sleep, now = Date.now } = options;
  const giveUpAt = now() + patienceMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await ask();
    } catch (error) {
      const delayMs = Math.min(5_000, 500 * 2 ** attempt);
      if (!registryUnavailable(error) || now() + delayMs > giveUpAt) throw error;
      onRetry?.(error, delayMs);
      await wait(delayMs);
    }
  }
}

/**
 * An instance being upgraded runs old and new side by side for a moment (unpack, migrate, restart),
 * so it needs some headroom on every resource; null when it has it. The agent protocol reports free
 * CPU in percent and free memory and disk in MB.
 */
function capacityShortage(capacity: AgentStatusReading['capacity']): string | null {
  if (capacity === null) return 'reports no capacity';
  const short: string[] = [];
  if (capacity.cpuPercentFree <= 0) short.push(`cpu ${capacity.cpuPercentFree}% free`);
  if (capacity.memoryMbFree <= 0) short.push(`memory ${capacity.memoryMbFree} MB free`);
  if (capacity.diskMbFree <= 0) short.push(`disk ${capacity.diskMbFree} MB free`);
  return short.length === 0 ? null : `no spare capacity (${short.join(', ')})`;
}
