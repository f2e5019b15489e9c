// The one-line outcome of an action: a status for success, an alert (read out at once) for a refusal.
import { useState } from 'preact/hooks';
import { ApiError } from './api';

export type Message = { kind: 'ok' | 'error'; text: string } | null;

/** The API's problem detail for a refused call, else the error as text. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.detail : String(e);
}

/**
 * Runs the user's actions one at a time: `busy` while one runs, then its outcome goes to `report`
 * (the text the action returns, if any, on success; the API's refusal on failure).
 */
export function useAction(report: (message: Message) => void) {
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<string | void>) => {
    setBusy(true);
    report(null);
    try {
      const text = await action();
      if (text) {
        report({ kind: 'ok', text });
      }
    } catch (e) {
      report({ kind: 'error', text: errorText(e) });
    } finally {
      setBusy(false);
    }
  };
  return { busy, run };
}

export function MessageLine({ message, testId }: { message: Message; testId: string }) {
  if (!message) {
    return null;
  }
  return (
    <p class={message.kind === 'ok' ? 'ok' : 'error'} role={message.kind === 'ok' ? 'status' : 'alert'} data-testid={testId}>
      {message.text}
    </p>
  );
}
