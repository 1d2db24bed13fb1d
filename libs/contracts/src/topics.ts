/** Kafka topic names (ARCHITECTURE.md, "Kafka topics"). */
export const Topics = {
  COMMANDS: 'upgrade.commands',
  RESULTS: 'upgrade.results',
  PROGRESS: 'upgrade.progress',
  EXECUTIONS: 'upgrade.executions',
  DLQ: 'upgrade.dlq',
  REGISTRY_EVENTS: 'registry.events',
} as const;
export type TopicName = (typeof Topics)[keyof typeof Topics];

/** Consumer groups. */
export const ConsumerGroups = {
  WORKERS: 'upshift-workers',
  ORCHESTRATOR: 'upshift-orchestrator',
} as const;
