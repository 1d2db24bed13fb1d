import { commandMessage, executionSnapshotMessage, progressMessage } from '@upshift/contracts';
import type { InstanceCommand, OutboundMessage, UpgradeExecutionView } from '@upshift/contracts';
import { enqueueOutbox } from '@upshift/messaging';
import type { EntityManager } from 'typeorm';
import { SCHEMA } from '../database/entities';
import type { ExecutionTransaction } from './execution-transaction';

/**
 * The outbox rows of one transaction, in the order consumers should see them: progress events
 * (sequence firstSequence, firstSequence+1, …), then commands, then the snapshot that includes them.
 */
export function buildOutboxMessages(
  tx: ExecutionTransaction,
  firstSequence: number,
  snapshot: UpgradeExecutionView | null,
): OutboundMessage[] {
  const e = tx.execution;
  const messages: OutboundMessage[] = tx.events.map((data, index) =>
    progressMessage({
      executionId: e.id,
      tenantId: e.tenantId,
      sequence: firstSequence + index,
      time: tx.now,
      data,
    }),
  );
  for (const { instance, commandId } of tx.sentCommands()) {
    if (instance.pendingCommandType === null || instance.fencingToken === null) {
      throw new Error(`engine bug: command ${commandId} has no type or no fencing token`);
    }
    const command: InstanceCommand = {
      commandId,
      executionId: e.id,
      tenantId: e.tenantId,
      instanceId: instance.id,
      instanceName: instance.name,
      agentUrl: instance.agentUrl,
      type: instance.pendingCommandType,
      fencingToken: instance.fencingToken,
      targetVersion: {
        versionId: e.toVersionId,
        version: e.toVersion,
        artifact: { url: e.artifactUrl, sha256: e.artifactSha256, signature: e.artifactSignature },
      },
      previousVersion: { versionId: e.fromVersionId, version: e.fromVersion },
      healthCheckIntervalSeconds: e.healthCheckIntervalSeconds,
      healthCheckTimeoutSeconds: e.healthCheckTimeoutSeconds,
      attempt: instance.attempt,
      issuedAt: tx.now.toISOString(),
    };
    messages.push(commandMessage(command, { time: tx.now }));
  }
  if (snapshot !== null)
    messages.push(executionSnapshotMessage(snapshot, e.progressSequence, { time: tx.now }));
  return messages;
}

export async function writeOutbox(manager: EntityManager, messages: OutboundMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await enqueueOutbox(manager, SCHEMA, messages);
}
