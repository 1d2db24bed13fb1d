/**
 * The enums of the public contract (docs/api-contract.md), spelled exactly as it spells them:
 * clients written against it send and read these strings.
 */
export enum UpgradeStrategy {
  ROLLING = 'ROLLING',
  CANARY = 'CANARY',
  BLUE_GREEN = 'BLUE_GREEN',
  RECREATE = 'RECREATE',
  STAGED = 'STAGED',
}

export enum ExecutionStatus {
  PENDING = 'PENDING',
  VALIDATING = 'VALIDATING',
  IN_PROGRESS = 'IN_PROGRESS',
  CANARY_RUNNING = 'CANARY_RUNNING',
  CANARY_MONITORING = 'CANARY_MONITORING',
  PAUSED = 'PAUSED',
  ROLLING_BACK = 'ROLLING_BACK',
  ROLLED_BACK = 'ROLLED_BACK',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}

export enum InstanceStatus {
  PENDING = 'PENDING',
  DRAINING = 'DRAINING',
  UPGRADING = 'UPGRADING',
  HEALTH_CHECKING = 'HEALTH_CHECKING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  ROLLED_BACK = 'ROLLED_BACK',
}

/**
 * What a worker is told to do to one instance (topic `upgrade.commands`): one command per attempt.
 * UPGRADE carries the instance through drain → upgrade → health check; ROLLBACK through rollback → undrain.
 */
export enum InstanceCommandType {
  UPGRADE = 'UPGRADE',
  ROLLBACK = 'ROLLBACK',
}

/** The steps a worker reports on `upgrade.results` while it carries out one command. */
export enum InstanceStep {
  /** UPGRADE: the instance was taken out of service. */
  DRAIN = 'DRAIN',
  /** UPGRADE: the agent verified and applied the artifact. */
  UPGRADE = 'UPGRADE',
  /** UPGRADE: healthy on the target version, and returned to service. */
  HEALTH_CHECK = 'HEALTH_CHECK',
  /** ROLLBACK: back on the previous version, and returned to service. */
  ROLLBACK = 'ROLLBACK',
}

/** The steps of each command type, in the order a worker carries them out and reports them. */
export const COMMAND_STEPS: Readonly<Record<InstanceCommandType, readonly InstanceStep[]>> = {
  [InstanceCommandType.UPGRADE]: [InstanceStep.DRAIN, InstanceStep.UPGRADE, InstanceStep.HEALTH_CHECK],
  [InstanceCommandType.ROLLBACK]: [InstanceStep.ROLLBACK],
};

export enum CommandOutcome {
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

/** Registry release channels; a wider channel also sees the narrower ones' releases (ADR 0004). */
export enum VersionChannel {
  STABLE = 'stable',
  BETA = 'beta',
  DEV = 'dev',
}

/** Registry publish status: draft → published → deprecated → yanked (ADR 0032). */
export enum VersionStatus {
  DRAFT = 'draft',
  PUBLISHED = 'published',
  DEPRECATED = 'deprecated',
  YANKED = 'yanked',
}

/** The five pre-upgrade checks of docs/api-contract.md, in the order they run. */
export enum ValidationCheck {
  VERSION_COMPATIBILITY = 'VERSION_COMPATIBILITY',
  RESOURCE_AVAILABILITY = 'RESOURCE_AVAILABILITY',
  BACKUP_VERIFICATION = 'BACKUP_VERIFICATION',
  HEALTH_ENDPOINTS = 'HEALTH_ENDPOINTS',
  DEPENDENCY_CHECK = 'DEPENDENCY_CHECK',
}
