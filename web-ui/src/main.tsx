import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, clearToken, onUnauthorized, storedToken, storeToken } from './api';
import { ClusterView } from './ClusterView';
import type { Role, SessionInfo } from './model';
import { ProcessDetailView } from './ProcessDetailView';
import { ProcessesView } from './ProcessesView';
import { SchedulerView } from './SchedulerView';
import { SignInView } from './SignInView';
import { StorageView } from './StorageView';
import { nodes, processes, useStore } from './store';
import './style.css';

type Route = { view: 'cluster' } | { view: 'processes' } | { view: 'process'; gpid: number } | { view: 'scheduler' }
  | { view: 'storage' };

function parseRoute(hash: string): Route {
  const m = /^#\/processes\/(\d+)$/.exec(hash);
  if (m) {
    return { view: 'process', gpid: Number(m[1]) };
  }
  if (hash.startsWith('#/scheduler')) {
    return { view: 'scheduler' };
  }
  if (hash.startsWith('#/storage')) {
    return { view: 'storage' };
  }
  return hash.startsWith('#/processes') ? { view: 'processes' } : { view: 'cluster' };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    // Effects run after the first paint: a hash that changed in between (a link followed, or a
    // URL opened, right after sign-in) fired its event before anyone listened.
    onChange();
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function App() {
  const [role, setRole] = useState<Role | null>(null);
  const [checking, setChecking] = useState(() => storedToken() != null);
  const [notice, setNotice] = useState('');

  const signOut = (message = '') => {
    clearToken();
    processes.disconnect();
    nodes.disconnect();
    setRole(null);
    setNotice(message);
  };

  useEffect(() => {
    onUnauthorized((message) => signOut(`Signed out: ${message}`));
    const token = storedToken();
    if (token) {
      call<SessionInfo>('GET', 'api/v1/session', undefined, token)
        .then((s) => setRole(s.role))
        .catch((e) => signOut(`Sign in again: ${e.message}`))
        .finally(() => setChecking(false));
    }
  }, []);

  useEffect(() => {
    if (role) {
      processes.start();
      nodes.start();
    }
  }, [role]);

  if (checking) {
    return <p class="centered" role="status">Signing in…</p>;
  }
  if (!role) {
    return (
      <SignInView
        notice={notice}
        onSignedIn={(token, r) => {
          storeToken(token);
          setNotice('');
          setRole(r);
        }}
      />
    );
  }
  return <Shell role={role} onSignOut={() => signOut()} />;
}

function Shell({ role, onSignOut }: { role: Role; onSignOut: () => void }) {
  const route = useRoute();
  useStore(processes);
  useStore(nodes);
  const main = useRef<HTMLElement>(null);
  // Moves focus to the new view's heading region so keyboard and screen-reader users land there.
  useEffect(() => {
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route.view, route.view === 'process' ? route.gpid : 0]);

  const status = processes.status === 'live' && nodes.status === 'live' ? 'live'
    : processes.status === 'failed' || nodes.status === 'failed' ? 'failed' : 'connecting';
  const label = { live: 'Live', failed: 'Stream refused', connecting: 'Connecting…' }[status];
  const current = (view: string) => (route.view === view || (view === 'processes' && route.view === 'process') ? 'page' : undefined);

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href="#/cluster">Unum</a>
        <nav aria-label="Main">
          <a href="#/cluster" aria-current={current('cluster')}>Cluster</a>
          <a href="#/processes" aria-current={current('processes')}>Processes</a>
          <a href="#/scheduler" aria-current={current('scheduler')}>Scheduler</a>
          <a href="#/storage" aria-current={current('storage')}>Storage</a>
        </nav>
        <span class={`conn conn-${status}`} role="status" title={processes.statusMessage || nodes.statusMessage}>
          <span aria-hidden="true">●</span> {label}
        </span>
        <span class="who" data-testid="role">{role}</span>
        <button type="button" class="link" onClick={onSignOut}>Sign out</button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {route.view === 'cluster' && <ClusterView />}
        {route.view === 'processes' && <ProcessesView />}
        {route.view === 'process' && <ProcessDetailView gpid={route.gpid} role={role} />}
        {route.view === 'scheduler' && <SchedulerView role={role} />}
        {route.view === 'storage' && <StorageView />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
