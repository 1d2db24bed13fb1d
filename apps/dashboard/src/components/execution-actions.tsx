import type { UpgradeExecutionView } from '@upshift/contracts/model';
import { useState } from 'preact/hooks';
import type { Api } from '../api';
import { errorText } from '../api';
import { operationsFor } from '../permissions';
import type { Operation } from '../permissions';
import type { Claims } from '../session';
import { ConfirmDialog } from './confirm-dialog';
import type { ConfirmRequest } from './confirm-dialog';

const LABELS: Readonly<Record<Operation, { button: string; title: string; message: string }>> = {
  'promote-canary': {
    button: 'Promote canary',
    title: 'Promote the canary?',
    message: 'The remaining instances are upgraded in batches, as the rolling rule says.',
  },
  pause: {
    button: 'Pause',
    title: 'Pause the upgrade?',
    message: 'No new batch starts until it is resumed; instances being upgraded finish their step.',
  },
  resume: { button: 'Resume', title: 'Resume the upgrade?', message: 'Batches start again where it paused.' },
  rollback: {
    button: 'Roll back',
    title: 'Roll the upgrade back?',
    message: 'Every upgraded and health-checking instance returns to the previous version.',
  },
  cancel: {
    button: 'Cancel upgrade',
    title: 'Cancel the upgrade?',
    message: 'It stops for good; instances already upgraded stay on the new version.',
  },
};

/**
 * The operations the token may run on the execution in its current status (none for a viewer), each
 * behind a confirmation; the API's answer replaces the page's view of the execution.
 */
export function ExecutionActions({
  api,
  claims,
  execution,
  onChanged,
}: {
  api: Api;
  claims: Claims;
  execution: UpgradeExecutionView;
  onChanged: (execution: UpgradeExecutionView) => void;
}) {
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const operations = operationsFor(claims, execution.status);

  const run = (operation: Operation, reason: string) => {
    const path = `/upgrades/${encodeURIComponent(execution.id)}/${operation}`;
    const call =
      operation === 'rollback'
        ? api.post<UpgradeExecutionView>(path, undefined, { reason })
        : api.post<UpgradeExecutionView>(path);
    call
      .then((answer) => {
        setOutcome({ ok: true, text: `${LABELS[operation].button}: done, now ${answer.status}.` });
        onChanged(answer);
      })
      .catch((error: unknown) =>
        setOutcome({ ok: false, text: `${LABELS[operation].button}: ${errorText(error)}` }),
      );
  };

  return (
    <section aria-labelledby="actions-title" class="actions">
      <h2 id="actions-title" class="visually-hidden">
        Operations
      </h2>
      {operations.length > 0 && (
        <div class="buttons">
          {operations.map((operation) => (
            <button
              key={operation}
              type="button"
              class={operation === 'rollback' || operation === 'cancel' ? 'danger' : 'primary'}
              onClick={() =>
                setConfirm({
                  title: LABELS[operation].title,
                  message: LABELS[operation].message,
                  confirmLabel: LABELS[operation].button,
                  ...(operation === 'rollback'
                    ? { reasonLabel: 'Reason (recorded with the rollback)', defaultReason: 'Manual rollback' }
                    : {}),
                  onConfirm: (reason) => run(operation, reason),
                })
              }
            >
              {LABELS[operation].button}
            </button>
          ))}
        </div>
      )}
      <p role="status" class={outcome === null ? 'visually-hidden' : outcome.ok ? 'ok' : 'error'}>
        {outcome?.text ?? ''}
      </p>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
