import * as domain from '@upshift/domain';

/**
 * The orchestrator and the registry code against these names; renaming one is a
 * breaking change for them, so the list is spelled out here.
 */
describe('@upshift/domain public API', () => {
  it('exports the agreed names', () => {
    expect(Object.keys(domain).sort()).toEqual(
      [
        // execution-state-machine
        'ACTIVE_STATUSES',
        'ALL_EXECUTION_EVENTS',
        'ALL_EXECUTION_OPERATIONS',
        'EXECUTION_EVENTS',
        'EXECUTION_TRANSITIONS',
        'InvalidTransitionError',
        'TERMINAL_STATUSES',
        'allowedEvents',
        'allowedOperations',
        'applyOperation',
        'canTransitionExecution',
        'isTerminal',
        'operationEvent',
        'transitionExecution',
        'transitionExecutionThrough',
        // instance-state-machine
        'ALL_INSTANCE_EVENTS',
        'INSTANCE_EVENTS',
        'INSTANCE_TRANSITIONS',
        'IN_FLIGHT_STATUSES',
        'InvalidInstanceTransitionError',
        'OUT_OF_SERVICE_STATUSES',
        'ROLLBACK_TARGET_STATUSES',
        'SETTLED_STATUSES',
        'allowedInstanceEvents',
        'instancesToRollBack',
        'isInstanceSettled',
        'isOutOfService',
        'needsRollback',
        'transitionInstance',
        // strategy-rules, batch-planner
        'STRATEGY_RULES',
        'InvalidPlanError',
        'assertValidPlan',
        'canaryCount',
        'completedStages',
        'initialPlanPhase',
        'maxUnavailable',
        'planNextBatch',
        'planPhaseAfter',
        'stageOfBatch',
        'totalBatches',
        'totalStages',
        // failure-policy
        'ROUTES_TO_FAILED',
        'ROUTES_TO_ROLLING_BACK',
        'completionEvent',
        'decideOnBlocked',
        'decideOnCanaryHealth',
        'decideOnFailure',
        'failRoute',
        'rollbackOutcomeEvent',
        'rollbackRoute',
        // next-step
        'FORWARD_COMMANDS',
        'decideNext',
        'failureStep',
        'hasForwardCommand',
        'rollbackTargets',
        'settledBatch',
        'startRollback',
        'thresholdReason',
        // command-steps
        'awaitedStep',
        'onCommandDeadline',
        'upgradeStepApplication',
        // statistics
        'computeStatistics',
        'statisticsFromTallies',
        'tallyOutcomes',
        // channels, upgrade-path
        'channelSees',
        'visibleChannels',
        'PATH_BLOCKER_CODES',
        'PATH_WARNING_CODES',
        'VersionNotFoundError',
        'availableDowngrades',
        'availableUpgrades',
        'findUpgradePath',
        // support-status
        'SUPPORTED_MAJORS_BEHIND',
        'newestReleasedVersion',
        'supportStatus',
      ].sort(),
    );
  });
});
