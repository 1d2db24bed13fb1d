import { useEffect, useRef, useState } from 'preact/hooks';

export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  /** Ask for a reason (rollback): the confirm button stays disabled until one is typed. */
  reasonLabel?: string;
  defaultReason?: string;
  onConfirm: (reason: string) => void;
}

/**
 * A modal confirmation built on the native <dialog>: it traps focus, closes on Escape and returns focus to
 * the button that opened it, as the platform does it.
 */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');

  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    if (request !== null && !element.open) {
      setReason(request.defaultReason ?? '');
      element.showModal();
    }
    if (request === null && element.open) element.close();
  }, [request]);

  const needsReason = request?.reasonLabel !== undefined;
  return (
    <dialog ref={dialog} aria-labelledby="confirm-title" onClose={onClose} class="confirm">
      {request !== null && (
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            if (needsReason && reason.trim() === '') return;
            request.onConfirm(reason.trim());
            onClose();
          }}
        >
          <h2 id="confirm-title">{request.title}</h2>
          <p>{request.message}</p>
          {needsReason && (
            <p>
              <label for="confirm-reason">{request.reasonLabel}</label>
              <input
                id="confirm-reason"
                type="text"
                required
                maxLength={500}
                value={reason}
                onInput={(event) => setReason(event.currentTarget.value)}
              />
            </p>
          )}
          <div class="dialog-buttons">
            <button type="button" onClick={onClose}>
              Keep it as it is
            </button>
            <button type="submit" class="danger" disabled={needsReason && reason.trim() === ''}>
              {request.confirmLabel}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
