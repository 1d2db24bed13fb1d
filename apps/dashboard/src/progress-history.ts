/**
 * An execution's history as its progress events tell it (docs/api-contract.md, "Event streams"; the
 * payloads are `libs/contracts/src/events/progress-events.ts`, of which only the fields read here are
 * typed). The execution stream replays every event from the first, so the page can draw what happened
 * before it opened as well as what happens next.
 */
export interface ProgressEnvelope {
  id: string;
  time: string;
  executionid: string;
  tenantid: string;
  sequence: number;
  data: { kind: string; [field: string]: unknown };
}

export interface StatusStep {
  status: string;
  at: string;
  reason: string | null;
}

export interface CanaryCheck {
  at: string;
  healthy: number;
  unhealthy: number;
}

export interface InstanceState {
  status: string;
  batch: number | null;
  error: string | null;
}

export interface RollbackEvent {
  at: string;
  reason: string;
  initiatedBy: string;
  instances: number;
  completedAt: string | null;
  rolledBack: number | null;
  failed: number | null;
}

export interface ProgressHistory {
  /** The sequence of the last event applied, -1 before any. */
  sequence: number;
  statuses: StatusStep[];
  canary: CanaryCheck[];
  transcript: { at: string; line: string }[];
  /** The latest state of each instance an event mentioned. */
  instances: ReadonlyMap<string, InstanceState>;
  rollbacks: RollbackEvent[];
}

export const EMPTY_HISTORY: ProgressHistory = {
  sequence: -1,
  statuses: [],
  canary: [],
  transcript: [],
  instances: new Map(),
  rollbacks: [],
};

/** The history with one more event; an event already applied (a repeated sequence) changes nothing. */
export function applyProgress(history: ProgressHistory, envelope: ProgressEnvelope): ProgressHistory {
  if (envelope.sequence <= history.sequence) return history;
  const next: ProgressHistory = { ...history, sequence: envelope.sequence };
  const data = envelope.data;
  const at = envelope.time;
  switch (data.kind) {
    case 'ExecutionCreated':
      next.statuses = [...history.statuses, { status: String(data['status']), at, reason: null }];
      break;
    case 'ExecutionStatusChanged':
      next.statuses = [
        ...history.statuses,
        { status: String(data['to']), at, reason: (data['reason'] as string | null) ?? null },
      ];
      break;
    case 'CanaryHealthReported':
      next.canary = [
        ...history.canary,
        { at, healthy: Number(data['healthy']), unhealthy: Number(data['unhealthy']) },
      ];
      break;
    case 'TranscriptLine':
      next.transcript = [...history.transcript, { at, line: String(data['line']) }];
      break;
    case 'InstanceStatusChanged': {
      const instances = new Map(history.instances);
      instances.set(String(data['instanceId']), {
        status: String(data['to']),
        batch: (data['batch'] as number | null) ?? null,
        error: (data['error'] as string | null) ?? null,
      });
      next.instances = instances;
      break;
    }
    case 'RollbackStarted':
      next.rollbacks = [
        ...history.rollbacks,
        {
          at,
          reason: String(data['reason']),
          initiatedBy: String(data['initiatedBy']),
          instances: (data['instanceIds'] as unknown[]).length,
          completedAt: null,
          rolledBack: null,
          failed: null,
        },
      ];
      break;
    case 'RollbackCompleted': {
      const last = history.rollbacks[history.rollbacks.length - 1];
      if (last !== undefined) {
        next.rollbacks = [
          ...history.rollbacks.slice(0, -1),
          {
            ...last,
            completedAt: at,
            rolledBack: (data['rolledBackInstances'] as unknown[]).length,
            failed: (data['failedInstances'] as unknown[]).length,
          },
        ];
      }
      break;
    }
    default:
      break;
  }
  return next;
}

/** Whether an event changes what the execution view (GET /upgrades/:id) says beyond the instances. */
export function changesExecutionView(kind: string): boolean {
  return [
    'ExecutionStatusChanged',
    'BatchStarted',
    'BatchCompleted',
    'RollbackStarted',
    'RollbackCompleted',
  ].includes(kind);
}
