import { useState } from 'preact/hooks';
import { ApiError, call } from './api';
import type { Role, SessionInfo } from './model';

export function SignInView({ notice, onSignedIn }: { notice: string; onSignedIn: (token: string, role: Role) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const session = await call<SessionInfo>('GET', 'api/v1/session', undefined, token.trim());
      onSignedIn(token.trim(), session.role);
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Unum</h1>
        <p class="muted">The whole cluster as one machine. Sign in with an admin or viewer token.</p>
        {notice && <p class="notice" role="status">{notice}</p>}
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="off" required value={token}
          onInput={(e) => setToken(e.currentTarget.value)} autoFocus />
        <button type="submit" disabled={busy || token.trim() === ''}>{busy ? 'Signing in…' : 'Sign in'}</button>
        {error && <p class="error" role="alert">{error}</p>}
        <p class="muted small">
          <code>bin/unum-dev up</code> prints an admin and a viewer token. The token is kept in this tab only
          (session storage) and sent as <code>Authorization: Bearer</code>.
        </p>
      </form>
    </main>
  );
}
