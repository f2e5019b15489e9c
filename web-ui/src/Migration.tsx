// "Migrate to…": starts a live migration and follows its record over server-sent events
// (GET /api/v1/migrations/{id}/events, which ends with the migration) until DONE, ROLLED_BACK
// or FAILED. A migration already under way when the view opens (the balancer's, or another
// admin's) is followed the same way.
import { useEffect, useState } from 'preact/hooks';
import { call, follow } from './api';
import { bytes, time } from './format';
import { MessageLine, useAction, type Message } from './messages';
import { TERMINAL_MIGRATION_STATES, type MigrationInfo, type MigrationState, type ProcessInfo } from './model';
import { nodes, useStore } from './store';

const STEPS: MigrationState[] = ['PREPARING', 'DUMPING', 'TRANSFERRING', 'RESTORING', 'DONE'];
const HISTORY_SHOWN = 5;

export function ended(m: MigrationInfo): boolean {
  return TERMINAL_MIGRATION_STATES.includes(m.state);
}

export function MigrateForm({ p }: { p: ProcessInfo }) {
  useStore(nodes);
  const targets = nodes.list().filter((n) => n.state === 'READY' && n.name !== p.node);
  const [wanted, setWanted] = useState('');
  const [message, setMessage] = useState<Message>(null);
  const { busy, run } = useAction(setMessage);
  const [current, setCurrent] = useState<MigrationInfo | null>(null);
  const [history, setHistory] = useState<MigrationInfo[]>([]);
  const target = targets.some((n) => n.name === wanted) ? wanted : (targets[0]?.name ?? '');
  const running = p.state === 'RUNNING';
  const following = current && !ended(current) ? current.id : null;

  // The process's migrations, newest first; one still under way is followed.
  const reload = () => {
    call<MigrationInfo[]>('GET', `api/v1/migrations?gpid=${p.gpid}`)
      .then((list) => {
        setHistory(list);
        const active = list.find((m) => !ended(m));
        if (active) {
          setCurrent((c) => (c && c.id === active.id ? c : active));
        }
      })
      .catch(() => setHistory([])); // the history is a convenience; actions still work without it
  };
  useEffect(reload, [p.gpid]);

  useEffect(() => {
    if (!following) {
      return;
    }
    return follow<MigrationInfo>({
      path: () => `api/v1/migrations/${following}/events`,
      reconnectOnEnd: false,
      onEvent: (m) => setCurrent(m),
      onStatus: (status, problem) => {
        if (status === 'failed') {
          setMessage({ kind: 'error', text: problem ?? 'the migration could not be followed' });
        }
        if (status === 'ended' || status === 'failed') {
          reload();
        }
      },
    });
  }, [following]);

  const migrate = (e: Event) => {
    e.preventDefault();
    run(async () => {
      setCurrent(await call<MigrationInfo>('POST', `api/v1/processes/${p.gpid}/migrate`, { node: target }));
    });
  };

  const earlier = history.filter((m) => m.id !== current?.id).slice(0, HISTORY_SHOWN);
  return (
    <div class="action">
      <form class="inline" onSubmit={migrate}>
        <label for="migrate-node">Migrate to</label>
        <select id="migrate-node" value={target} onChange={(e) => setWanted(e.currentTarget.value)}
          disabled={targets.length === 0}>
          {targets.length === 0 && <option value="">no other READY node</option>}
          {targets.map((n) => <option key={n.name} value={n.name}>{n.name}</option>)}
        </select>
        <button type="submit" disabled={busy || !running || !target || following != null}>Migrate</button>
      </form>
      {running && !p.capabilities.effective.includes('CAN_MIGRATE') && (
        <p class="muted small">It lacks CAN_MIGRATE in its effective set, so the control plane will refuse.</p>
      )}
      <MessageLine message={message} testId="migrate-message" />
      {current && <MigrationProgress m={current} />}
      {earlier.length > 0 && (
        <details class="small">
          <summary>Earlier migrations ({earlier.length})</summary>
          <ul class="plain">
            {earlier.map((m) => (
              <li key={m.id}>
                {time(m.createdAt)}: {m.source} → {m.target}, <strong>{m.state}</strong>
                {m.freezeMillis != null && m.state === 'DONE' ? `, frozen ${m.freezeMillis} ms` : ''}
                {m.reason ? ` (${m.reason})` : ''}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** One migration's state, its steps, the transfer's progress and how it ended. */
export function MigrationProgress({ m }: { m: MigrationInfo }) {
  const step = STEPS.indexOf(m.state);
  const image = m.imageBytes ?? 0;
  const sent = Math.min(m.bytesTransferred ?? 0, image);
  return (
    <div class={`migration migration-${m.state.toLowerCase()}`} data-testid="migration" data-migration={m.id}>
      <p class="migration-head">
        <span role="status">
          Migration {m.source} → {m.target}: <strong data-testid="migration-state">{m.state}</strong>
        </span>
        <span class="muted small"> {m.id}</span>
      </p>
      {step >= 0 && (
        <ol class="steps" aria-label="Migration steps">
          {STEPS.map((s, i) => (
            <li key={s} class={i < step || m.state === 'DONE' ? 'done' : i === step ? 'now' : undefined}
              aria-current={i === step ? 'step' : undefined}>
              {s.toLowerCase()}
            </li>
          ))}
        </ol>
      )}
      {m.state === 'TRANSFERRING' && (
        <div class="transfer">
          <progress max={image || 1} value={sent} aria-label="Image transferred" data-testid="migration-progress" />
          <span class="small">{bytes(sent)} of {image ? bytes(image) : '…'}</span>
        </div>
      )}
      {m.state === 'DONE' && (
        <p class="ok" data-testid="migration-result">
          Now running on {m.target}. Frozen for {m.freezeMillis ?? '–'} ms
          (dump {m.dumpMillis ?? '–'} ms, image {bytes(m.imageBytes)} sent in {m.transferMillis ?? '–'} ms,
          restore {m.restoreMillis ?? '–'} ms); {m.totalMillis ?? '–'} ms in all, {m.preFreezeMillis ?? '–'} ms
          before the freeze and {m.postResumeMillis ?? '–'} ms after it.
        </p>
      )}
      {(m.state === 'ROLLED_BACK' || m.state === 'FAILED') && (
        <p class="error" role="alert" data-testid="migration-result">
          {m.state === 'ROLLED_BACK' ? `Rolled back: the process runs on at ${m.source}.` : 'Failed.'} {m.reason ?? ''}
        </p>
      )}
    </div>
  );
}
