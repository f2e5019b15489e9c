// The one-line outcome of an action: a status for success, an alert (read out at once) for a refusal.
import { ApiError } from './api';

export type Message = { kind: 'ok' | 'error'; text: string } | null;

/** The API's problem detail for a refused call, else the error as text. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.detail : String(e);
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
