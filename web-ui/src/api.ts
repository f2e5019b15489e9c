// The REST client of the UI: every call carries `Authorization: Bearer <token>`, the event
// streams too (fetch-based SSE, so the token never goes into a URL). The token lives in
// sessionStorage: it is gone when the tab closes.
import { EventStreamContentType, fetchEventSource } from '@microsoft/fetch-event-source';

const TOKEN_KEY = 'unum.token';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** A refused or failed call; `detail` is the API's problem detail (application/problem+json). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly title: string, readonly detail: string) {
    super(detail || title);
  }
}

let unauthorized: (message: string) => void = () => {};

/** Called when the API answers 401 to a call made with the stored token (it was revoked or mistyped). */
export function onUnauthorized(handler: (message: string) => void): void {
  unauthorized = handler;
}

async function problemOf(res: Response): Promise<ApiError> {
  let title = res.statusText || `HTTP ${res.status}`;
  let detail = '';
  try {
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('json')) {
      const problem = await res.json();
      title = problem.title ?? title;
      detail = problem.detail ?? '';
    } else {
      detail = (await res.text()).slice(0, 300);
    }
  } catch {
    // the status line is all there is
  }
  return new ApiError(res.status, title, detail || `${res.status} ${title}`);
}

function headers(token: string | null, extra: Record<string, string> = {}): Record<string, string> {
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

/** Paths are relative ("api/v1/…") so the UI also works under a path prefix. */
export async function call<T>(method: string, path: string, body?: unknown, token = storedToken()): Promise<T> {
  const init: RequestInit = {
    method,
    headers: headers(token, body === undefined ? { Accept: 'application/json' }
      : { Accept: 'application/json', 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  };
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'Unreachable', `the control plane did not answer (${String(e)})`);
  }
  if (!res.ok) {
    const problem = await problemOf(res);
    if (res.status === 401 && token === storedToken()) {
      unauthorized(problem.detail);
    }
    throw problem;
  }
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed';

export interface StreamOptions<T> {
  /** Recomputed on every (re)connection, e.g. to resume output from the last offsets. */
  path: () => string;
  onEvent: (event: T) => void;
  onStatus?: (status: StreamStatus, message?: string) => void;
  /** Reconnect when the server ends the stream (the process and node feeds never end by themselves). */
  reconnectOnEnd: boolean;
}

class Refused extends Error {
  constructor(readonly problem: ApiError) {
    super(problem.detail);
  }
}

/**
 * Follows a server-sent-event stream of JSON data until the returned function is called.
 * Lost connections and 5xx answers are retried with a growing delay; a 4xx answer stops it
 * (a 401 also signs out).
 */
export function follow<T>(options: StreamOptions<T>): () => void {
  const abort = new AbortController();
  const status = options.onStatus ?? (() => {});
  (async () => {
    let delay = 500;
    while (!abort.signal.aborted) {
      status('connecting');
      const token = storedToken();
      try {
        await fetchEventSource(options.path(), {
          headers: headers(token, { Accept: EventStreamContentType }),
          signal: abort.signal,
          openWhenHidden: true,
          async onopen(res) {
            if (res.ok && (res.headers.get('content-type') ?? '').startsWith(EventStreamContentType)) {
              delay = 500;
              status('live');
              return;
            }
            const problem = await problemOf(res);
            if (res.status >= 400 && res.status < 500 && res.status !== 429) {
              if (res.status === 401 && token === storedToken()) {
                unauthorized(problem.detail);
              }
              throw new Refused(problem);
            }
            throw problem;
          },
          onmessage(message) {
            if (message.data) {
              options.onEvent(JSON.parse(message.data) as T);
            }
          },
          onerror(error) {
            throw error; // retries are decided below, with a fresh path
          },
        });
        if (!options.reconnectOnEnd) {
          status('ended');
          return;
        }
      } catch (e) {
        if (abort.signal.aborted) {
          return;
        }
        if (e instanceof Refused) {
          status('failed', e.problem.detail);
          return;
        }
      }
      status('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  })();
  return () => abort.abort();
}
