/** Kafka topic names; libs/contracts/asyncapi.yaml describes what each carries and its key. */
export const Topics = {
  COMMANDS: 'upgrade.commands',
  RESULTS: 'upgrade.results',
  PROGRESS: 'upgrade.progress',
  EXECUTIONS: 'upgrade.executions',
  DLQ: 'upgrade.dlq',
  REGISTRY_EVENTS: 'registry.events',
  AUDIT_EVENTS: 'audit.events',
} as const;
export type TopicName = (typeof Topics)[keyof typeof Topics];

/** Consumer groups. */
export const ConsumerGroups = {
  WORKERS: 'upshift-workers',
  ORCHESTRATOR: 'upshift-orchestrator',
} as const;
