// Polling for what has no event stream of its own (the scheduler's lists, shared memory).
import { useEffect, useRef, useState } from 'preact/hooks';
import { call } from './api';
import { errorText } from './messages';

export type Polled<T> = {
  /** The last answer; null until the first one (and again after `key` changed). */
  value: T | null;
  /** Why the last load failed; '' once one succeeds again. The last value stays meanwhile. */
  error: string;
  /** Loads again now (after an action changed what is shown), then every `everyMs` from there. */
  refresh: () => void;
};

/**
 * Runs `load` now and then `everyMs` after each answer, while mounted and while `key` is not
 * null; a new `key` starts over. The next load waits for the previous one, so a slow answer
 * never piles requests up.
 */
export function usePolling<T>(load: () => Promise<T>, key: string | null, everyMs: number): Polled<T> {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState('');
  const [version, setVersion] = useState(0);
  const latest = useRef(load);
  latest.current = load;

  useEffect(() => {
    setValue(null);
    setError('');
  }, [key]);

  useEffect(() => {
    if (key == null) {
      return;
    }
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      latest.current()
        .then((v) => {
          if (live) {
            setValue(v);
            setError('');
          }
        })
        .catch((e) => live && setError(errorText(e)))
        .finally(() => {
          if (live) {
            timer = setTimeout(tick, everyMs);
          }
        });
    };
    tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, everyMs, version]);

  return { value, error, refresh: () => setVersion((v) => v + 1) };
}

/** GET `path` every `everyMs` while mounted. */
export function usePolled<T>(path: string, everyMs: number): Polled<T> {
  return usePolling(() => call<T>('GET', path), path, everyMs);
}
