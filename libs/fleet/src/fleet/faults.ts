import type { RandomSource } from './random';

/** Which instances a fault hits: those named, and any other with the given probability (0..1). */
export interface FaultRule {
  instances?: string[];
  probability?: number;
}

/**
 * Faults the fleet injects. Each is decided once per command (a repeated commandId replays the
 * first decision through the agent's idempotency record).
 */
export interface FaultConfig {
  /** `POST /agent/upgrade` answers 422 `upgrade-failed`; the version is unchanged. */
  upgradeFails?: FaultRule;
  /** The upgrade applies, but the instance then reports unhealthy until rolled back. */
  unhealthyAfterUpgrade?: FaultRule;
  /** `POST /agent/upgrade` never answers (until the fault is cleared or the fleet stops). */
  upgradeHangs?: FaultRule;
  /** The instance crashes during the upgrade: it stops answering anything until restarted. */
  crashOnUpgrade?: FaultRule;
  /** `POST /agent/rollback` answers 422 `rollback-failed`. */
  rollbackFails?: FaultRule;
  /** The next `count` mutating calls of the instance answer 503 (a transient error, no effect). */
  transientErrors?: FaultRule & { count?: number };
}

export const FAULT_NAMES = [
  'upgradeFails',
  'unhealthyAfterUpgrade',
  'upgradeHangs',
  'crashOnUpgrade',
  'rollbackFails',
  'transientErrors',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export function faultApplies(
  rule: FaultRule | undefined,
  instanceName: string,
  random: RandomSource,
): boolean {
  if (!rule) return false;
  if (rule.instances?.includes(instanceName)) return true;
  return rule.probability !== undefined && rule.probability > 0 && random() < rule.probability;
}

/** Returns a problem description, or null when the configuration is valid (used by the admin API). */
export function validateFaultConfig(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'faults must be an object';
  for (const [name, rule] of Object.entries(value)) {
    if (!(FAULT_NAMES as readonly string[]).includes(name)) {
      return `unknown fault "${name}" (expected one of ${FAULT_NAMES.join(', ')})`;
    }
    if (rule === undefined || rule === null) continue;
    if (typeof rule !== 'object' || Array.isArray(rule)) return `${name} must be an object`;
    const r = rule as Record<string, unknown>;
    if (r['instances'] !== undefined) {
      if (!Array.isArray(r['instances']) || !r['instances'].every((n) => typeof n === 'string')) {
        return `${name}.instances must be an array of instance names`;
      }
    }
    if (r['probability'] !== undefined) {
      const p = r['probability'];
      if (typeof p !== 'number' || p < 0 || p > 1) return `${name}.probability must be a number from 0 to 1`;
    }
    if (r['count'] !== undefined && (typeof r['count'] !== 'number' || r['count'] < 0)) {
      return `${name}.count must be a number >= 0`;
    }
  }
  return null;
}
