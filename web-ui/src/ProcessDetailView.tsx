import { useEffect, useState } from 'preact/hooks';
import { call } from './api';
import { CheckpointForm, CheckpointsCard, useCheckpoints } from './Checkpoints';
import { bytes, command, duration, percent, time } from './format';
import { errorText, MessageLine, useAction, type Message } from './messages';
import { MigrateForm } from './Migration';
import {
  CAPABILITIES, type Capabilities, type Capability, type CapabilitySetName, type ProcessInfo, type Role,
} from './model';
import { OutputTail } from './OutputTail';
import { uptime } from './ProcessesView';
import { SharedMemoryCard } from './SharedMemory';
import { processes, useStore } from './store';

const SETS: { key: CapabilitySetName; label: string }[] = [
  { key: 'effective', label: 'Effective' },
  { key: 'permitted', label: 'Permitted' },
  { key: 'inheritableEffective', label: 'Inheritable effective' },
  { key: 'inheritablePermitted', label: 'Inheritable permitted' },
];

const SIGNALS = ['TERM', 'KILL', 'INT', 'HUP', 'QUIT', 'USR1', 'USR2', 'STOP', 'CONT', 'WINCH'];

export function ProcessDetailView({ gpid, role }: { gpid: number; role: Role }) {
  useStore(processes);
  const p = processes.get(gpid);
  const [missing, setMissing] = useState('');

  // The stream's snapshot lists every process; if this one is not there, let the API say why.
  useEffect(() => {
    setMissing('');
    if (processes.loaded && !p) {
      call<ProcessInfo>('GET', `api/v1/processes/${gpid}`)
        .then((found) => processes.put(found))
        .catch((e) => setMissing(errorText(e)));
    }
  }, [gpid, processes.loaded, p == null]);

  if (!p) {
    return (
      <section aria-labelledby="detail-title">
        <h1 id="detail-title" tabIndex={-1}>Process {gpid}</h1>
        {missing ? <p class="error" role="alert">{missing}</p> : <p role="status">Loading…</p>}
        <p><a href="#/processes">Back to the processes</a></p>
      </section>
    );
  }

  const now = processes.now();
  const parent = p.parentGpid != null ? processes.get(p.parentGpid) : undefined;
  const children = processes.children(gpid);
  const admin = role === 'admin';
  const live = !(p.state === 'EXITED' || p.state === 'FAILED');

  return (
    <section aria-labelledby="detail-title" class="detail">
      <p class="crumbs"><a href="#/processes">Processes</a> / {gpid}</p>
      <div class="title-row">
        <h1 id="detail-title" tabIndex={-1}>Process {gpid}</h1>
        <span class={`badge state-${p.state.toLowerCase()}`} data-testid="detail-state">{p.state}</span>
      </div>
      <p class="argv"><code>{command(p.argv)}</code></p>

      <div class="detail-grid">
        <div class="card">
          <h2>Overview</h2>
          <dl class="facts">
            <dt>Node</dt><dd data-testid="detail-node">{p.node ?? '–'}{p.localPid ? ` (pid ${p.localPid})` : ''}</dd>
            <dt>User</dt><dd>{identity(p)}</dd>
            <dt>Working directory</dt><dd><code>{p.cwd ?? '–'}</code></dd>
            <dt>Arguments</dt>
            <dd><ol class="args">{p.argv.map((a, i) => <li key={i}><code>{a}</code></li>)}</ol></dd>
            {p.envNames && p.envNames.length > 0 && (<><dt>Environment</dt><dd>{p.envNames.join(', ')}</dd></>)}
            <dt>Started</dt><dd>{time(p.startedAt ?? p.createdAt)}</dd>
            <dt>Uptime</dt><dd>{duration(uptime(p, now))}</dd>
            {p.state === 'RUNNING' && (<><dt>CPU</dt><dd>{p.cpuPercent == null ? 'not reported yet' : `${percent(p.cpuPercent)}% · RSS ${bytes(p.rssBytes)}`}</dd></>)}
            {p.endedAt && (<><dt>Ended</dt><dd>{time(p.endedAt)}</dd></>)}
            {p.exitCode != null && (<><dt>Exit code</dt><dd>{p.exitCode}</dd></>)}
            {p.exitSignal != null && (<><dt>Killed by signal</dt><dd>{p.exitSignal}</dd></>)}
            {p.reason && (<><dt>Reason</dt><dd>{p.reason}</dd></>)}
            <dt>Parent</dt>
            <dd>{p.parentGpid == null ? 'none' : (
              <a href={`#/processes/${p.parentGpid}`}>{p.parentGpid}{parent ? ` ${command(parent.argv)}` : ''}</a>)}</dd>
            <dt>Children</dt>
            <dd>{children.length === 0 ? 'none' : (
              <ul class="children">{children.map((c) => (
                <li key={c.gpid}><a href={`#/processes/${c.gpid}`}>{c.gpid}</a> {command(c.argv)} <span class="muted">{c.state}</span></li>
              ))}</ul>)}</dd>
          </dl>
        </div>
        <div class="side">
          {admin ? <AdminCards p={p} live={live} /> : <CapabilitiesCard p={p} admin={false} live={live} />}
        </div>
      </div>
      <SharedMemoryCard key={gpid} p={p} admin={admin} />
      <OutputTail key={gpid} p={p} />
    </section>
  );
}

/** What only an admin sees: the actions, the capabilities with toggles, the checkpoints. */
/** Who it runs as: a named account, or its tree's dynamic uid (and shared group), and whether setuid works. */
function identity(p: ProcessInfo): string {
  const who = p.user ?? '–';
  const dynamic = p.uid == null ? '' : p.group ? ` (dynamic uid, group ${p.group} = gid ${p.gid})` : ' (dynamic uid)';
  return who + dynamic + (p.noNewPrivs === false ? ' · setuid binaries may elevate' : '');
}

function AdminCards({ p, live }: { p: ProcessInfo; live: boolean }) {
  const checkpoints = useCheckpoints(p);
  return (
    <>
      <Actions p={p} onCheckpoint={checkpoints.reload} />
      <CapabilitiesCard p={p} admin live={live} />
      <CheckpointsCard p={p} {...checkpoints} />
    </>
  );
}

function Actions({ p, onCheckpoint }: { p: ProcessInfo; onCheckpoint: () => void }) {
  const [signal, setSignal] = useState('TERM');
  const [message, setMessage] = useState<Message>(null);
  const { busy, run } = useAction(setMessage);
  const running = p.state === 'RUNNING';

  const send = (name: string) => {
    run(async () => {
      await call('POST', `api/v1/processes/${p.gpid}/signal`, { signal: name });
      return `Sent ${name} to process ${p.gpid}.`;
    });
  };

  return (
    <div class="card actions" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <form class="inline" onSubmit={(e) => { e.preventDefault(); send(signal.trim()); }}>
        <label for="signal">Signal</label>
        <input id="signal" list="signals" value={signal} onInput={(e) => setSignal(e.currentTarget.value)}
          autocomplete="off" size={8} required />
        <datalist id="signals">{SIGNALS.map((s) => <option key={s} value={s} />)}</datalist>
        <button type="submit" disabled={busy || !running}>Send signal</button>
        <button type="button" class="danger" disabled={busy || !running} onClick={() => send('KILL')}>Kill</button>
      </form>
      {!running && <p class="muted small">Only a RUNNING process takes signals, migrates or is checkpointed.</p>}
      <MessageLine message={message} testId="action-message" />
      <MigrateForm key={p.gpid} p={p} />
      <CheckpointForm key={p.gpid} p={p} onTaken={onCheckpoint} />
    </div>
  );
}

function CapabilitiesCard({ p, admin, live }: { p: ProcessInfo; admin: boolean; live: boolean }) {
  const [force, setForce] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  const { busy, run } = useAction(setMessage);
  const editable = admin && live;

  const toggle = (set: CapabilitySetName, cap: Capability, on: boolean) => {
    const change = `${on ? '+' : '-'}${cap}`;
    run(async () => {
      const caps = await call<Capabilities>('PATCH', `api/v1/processes/${p.gpid}/capabilities`,
        force ? { [set]: change, force: true } : { [set]: change });
      const current = processes.get(p.gpid);
      if (current) {
        processes.put({ ...current, capabilities: caps });
      }
      return `${change} applied to the ${SETS.find((s) => s.key === set)!.label.toLowerCase()} set.`;
    });
  };

  return (
    <div class="card caps" aria-labelledby="caps-title">
      <h2 id="caps-title">Capabilities</h2>
      <div class="caps-scroll">
        <table class="caps-table">
          <thead>
            <tr><th scope="col">Capability</th>{SETS.map((s) => <th key={s.key} scope="col">{s.label}</th>)}</tr>
          </thead>
          <tbody>
            {CAPABILITIES.map((cap) => (
              <tr key={cap}>
                <th scope="row"><code>{cap}</code></th>
                {SETS.map((s) => {
                  const on = p.capabilities[s.key].includes(cap);
                  return (
                    <td key={s.key}>
                      <input type="checkbox" checked={on} disabled={!editable || busy}
                        aria-label={`${cap} in the ${s.label.toLowerCase()} set`}
                        data-cap={`${s.key}:${cap}`}
                        onChange={(e) => {
                          const want = e.currentTarget.checked;
                          e.currentTarget.checked = on; // the record decides; it changes when the API agrees
                          toggle(s.key, cap, want);
                        }} />
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {editable && (
        <label class="small check">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} />
          Force (admin override: may raise permitted bits and skip the CHANGE_CAPS rule)
        </label>
      )}
      {!admin && <p class="muted small">Read only: your token has the viewer role.</p>}
      {admin && !live && <p class="muted small">The process has ended; its capabilities are final.</p>}
      <MessageLine message={message} testId="caps-message" />
    </div>
  );
}
