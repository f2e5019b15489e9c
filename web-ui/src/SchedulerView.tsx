// The scheduler: the policy in force (a form to change it for admins), the nodes as the
// scheduler weighs them, its decisions as they are made (GET /api/v1/scheduler/events, live)
// and the recent migrations, whoever asked for them.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, follow, type StreamStatus } from './api';
import { bytes, time } from './format';
import { errorText, MessageLine, useAction, type Message } from './messages';
import { ended } from './Migration';
import {
  BALANCINGS, PLACEMENTS, type MigrationInfo, type Role, type SchedulerEvent, type SchedulerEventType, type SchedulerNode, type SchedulerPolicy,
  type SchedulerStatus,
} from './model';
import { usePolled } from './poll';

const EVENTS_KEPT = 300;
const REFRESH_MS = 3000;
const MIB = 1024 * 1024;

const PLACEMENT_HELP: Record<string, string> = {
  'round-robin': 'each READY node in turn',
  'least-loaded': 'the node with the fewest runnable tasks per core',
  'memory-aware': 'the most free memory, among nodes that keep the minimum free',
  spread: 'the node with the fewest processes',
  binpack: 'the fullest node that still has an idle core',
};
const BALANCING_HELP: Record<string, string> = {
  none: 'running processes stay where they are',
  mosix: 'moves busy CAN_MIGRATE processes off nodes whose load per core exceeds the cluster’s by the threshold',
  'memory-ushering': 'moves CAN_MIGRATE processes off nodes with less free memory than the minimum',
};

/**
 * Adds an event to the list, newest first. Ids sort by time, so one already shown, or older
 * than everything a full list holds, is one that a reconnection sent again: it is dropped.
 */
function keep(list: SchedulerEvent[], e: SchedulerEvent): SchedulerEvent[] {
  if (list.some((x) => x.id === e.id) || (list.length >= EVENTS_KEPT && e.id < list[list.length - 1].id)) {
    return list;
  }
  return [e, ...list].sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, EVENTS_KEPT);
}

export function SchedulerView({ role }: { role: Role }) {
  const [policy, setPolicy] = useState<SchedulerPolicy | null>(null);
  const [policyError, setPolicyError] = useState('');
  const [status, setStatus] = useState<SchedulerStatus | null>(null);
  const [events, setEvents] = useState<SchedulerEvent[]>([]);
  const [stream, setStream] = useState<StreamStatus>('connecting');

  const loadPolicy = () => {
    call<SchedulerPolicy>('GET', 'api/v1/scheduler/policy')
      .then((p) => {
        setPolicy(p);
        setPolicyError('');
      })
      .catch((e) => setPolicyError(errorText(e)));
  };

  useEffect(() => {
    loadPolicy();
    call<SchedulerStatus>('GET', 'api/v1/scheduler/status').then(setStatus).catch(() => setStatus(null));
    return follow<SchedulerEvent>({
      path: () => 'api/v1/scheduler/events',
      reconnectOnEnd: true,
      onEvent: (e) => {
        setEvents((old) => keep(old, e));
        if (e.type === 'POLICY_CHANGED') {
          loadPolicy(); // changed by someone else, or through another replica
        }
      },
      onStatus: (s) => setStream(s),
    });
  }, []);

  return (
    <section aria-labelledby="scheduler-title" class="scheduler">
      <div class="title-row">
        <h1 id="scheduler-title" tabIndex={-1}>Scheduler</h1>
        {status && (
          <span class="muted small" data-testid="scheduler-status">
            answered by {status.replica}{status.leader ? ', the leader (it runs the balancer)' : ''}
          </span>
        )}
      </div>
      <div class="detail-grid">
        <PolicyCard policy={policy} error={policyError} admin={role === 'admin'} onSaved={setPolicy} />
        <NodesCard />
      </div>
      <EventsCard events={events} stream={stream} />
      <MigrationsCard />
    </section>
  );
}

function PolicyCard({ policy, error, admin, onSaved }: {
  policy: SchedulerPolicy | null; error: string; admin: boolean; onSaved: (p: SchedulerPolicy) => void;
}) {
  // Kept here, not in the form: a saved policy re-keys the form, which would take the message with it.
  const [message, setMessage] = useState<Message>(null);
  return (
    <div class="card" aria-labelledby="policy-title">
      <h2 id="policy-title">Policy in force</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {!policy && !error && <p role="status">Loading…</p>}
      {policy && (
        <dl class="facts" data-testid="policy">
          <dt>Placement</dt>
          <dd><strong data-testid="policy-placement">{policy.placement}</strong>
            <span class="muted small"> — {PLACEMENT_HELP[policy.placement] ?? ''}</span></dd>
          <dt>Balancing</dt>
          <dd><strong data-testid="policy-balancing">{policy.balancing}</strong>
            <span class="muted small"> — {BALANCING_HELP[policy.balancing] ?? ''}</span></dd>
          <dt>Load threshold</dt><dd data-testid="policy-threshold">{policy.loadThreshold} per core</dd>
          <dt>Min free memory</dt><dd>{bytes(policy.minFreeMemoryBytes)}</dd>
          <dt>Min interval</dt><dd>{policy.minIntervalSeconds} s between two moves of a process</dd>
          <dt>Probe period</dt><dd>{policy.probePeriodSeconds} s</dd>
          <dt>Changed</dt>
          <dd>{policy.updatedAt ? `${time(policy.updatedAt)} by ${policy.updatedBy ?? '?'}` : 'never (the default)'}</dd>
        </dl>
      )}
      {policy && admin && (
        <PolicyForm key={policy.updatedAt ?? 'default'} policy={policy} onSaved={onSaved} onMessage={setMessage} />
      )}
      <MessageLine message={message} testId="policy-message" />
      {!admin && <p class="muted small">Read only: your token has the viewer role.</p>}
    </div>
  );
}

/** A draft of the policy; it starts from the one in force and is replaced only when that changes. */
function PolicyForm({ policy, onSaved, onMessage }: {
  policy: SchedulerPolicy; onSaved: (p: SchedulerPolicy) => void; onMessage: (m: Message) => void;
}) {
  const [draft, setDraft] = useState(() => ({
    placement: policy.placement,
    balancing: policy.balancing,
    loadThreshold: String(policy.loadThreshold ?? ''),
    minFreeMiB: policy.minFreeMemoryBytes == null ? '' : String(Math.round(policy.minFreeMemoryBytes / MIB)),
    minIntervalSeconds: String(policy.minIntervalSeconds ?? ''),
    probePeriodSeconds: String(policy.probePeriodSeconds ?? ''),
  }));
  const { busy, run } = useAction(onMessage);
  const set = (key: keyof typeof draft) => (e: Event) =>
    setDraft({ ...draft, [key]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  // Empty fields are left out: the control plane gives them their defaults.
  const num = (v: string) => (v.trim() === '' ? undefined : Number(v));

  const save = (e: Event) => {
    e.preventDefault();
    const body: SchedulerPolicy = {
      placement: draft.placement,
      balancing: draft.balancing,
      loadThreshold: num(draft.loadThreshold),
      minFreeMemoryBytes: draft.minFreeMiB.trim() === '' ? undefined : Math.round(Number(draft.minFreeMiB) * MIB),
      minIntervalSeconds: num(draft.minIntervalSeconds),
      probePeriodSeconds: num(draft.probePeriodSeconds),
    };
    run(async () => {
      const saved = await call<SchedulerPolicy>('PUT', 'api/v1/scheduler/policy', body);
      onSaved(saved);
      return `Policy saved: placement ${saved.placement}, balancing ${saved.balancing}.`;
    });
  };

  return (
    <form class="policy-form" onSubmit={save} aria-labelledby="policy-form-title">
      <h3 id="policy-form-title">Change the policy</h3>
      <div class="fields">
        <Field id="policy-placement-input" label="Placement">
          <select id="policy-placement-input" value={draft.placement} onChange={set('placement')}>
            {PLACEMENTS.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </Field>
        <Field id="policy-balancing-input" label="Balancing">
          <select id="policy-balancing-input" value={draft.balancing} onChange={set('balancing')}>
            {BALANCINGS.map((b) => <option key={b} value={b}>{b}</option>)}
          </select>
        </Field>
        <Field id="policy-threshold-input" label="Load threshold (per core)">
          <input id="policy-threshold-input" type="number" min="0.01" max="100" step="any" value={draft.loadThreshold}
            onInput={set('loadThreshold')} />
        </Field>
        <Field id="policy-memory-input" label="Min free memory (MiB)">
          <input id="policy-memory-input" type="number" min="0" step="1" value={draft.minFreeMiB} onInput={set('minFreeMiB')} />
        </Field>
        <Field id="policy-interval-input" label="Min interval (s)">
          <input id="policy-interval-input" type="number" min="0" max="86400" step="any" value={draft.minIntervalSeconds}
            onInput={set('minIntervalSeconds')} />
        </Field>
        <Field id="policy-period-input" label="Probe period (s)">
          <input id="policy-period-input" type="number" min="0.5" max="3600" step="any" value={draft.probePeriodSeconds}
            onInput={set('probePeriodSeconds')} />
        </Field>
      </div>
      <p class="muted small">Takes effect on every control-plane replica within a second, without a restart. An empty
        field takes its default.</p>
      <button type="submit" disabled={busy}>{busy ? 'Saving…' : 'Apply policy'}</button>
    </form>
  );
}

function Field({ id, label, children }: { id: string; label: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
    </div>
  );
}

function NodesCard() {
  const { value: list, error } = usePolled<SchedulerNode[]>('api/v1/scheduler/nodes', REFRESH_MS);
  return (
    <div class="card" aria-labelledby="sched-nodes-title">
      <h2 id="sched-nodes-title">Nodes as the scheduler sees them</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {list && (
        <div class="table-wrap">
          <table class="simple">
            <thead>
              <tr>
                <th scope="col">Node</th><th scope="col" class="num">Cores</th><th scope="col" class="num">Load/core</th>
                <th scope="col" class="num">Free memory</th><th scope="col" class="num">Processes</th><th scope="col">Labels</th>
              </tr>
            </thead>
            <tbody>
              {list.map((n) => (
                <tr key={n.name} data-sched-node={n.name}>
                  <th scope="row">{n.name} <span class={`badge state-${n.state.toLowerCase()}`}>{n.state}</span></th>
                  <td class="num">{n.cpuCapacity}{n.enforcement && n.enforcement !== 'none' ? ` (${n.enforcement})` : ''}</td>
                  <td class="num">{n.loadPerCore.toFixed(2)}</td>
                  <td class="num">{bytes(n.memoryFreeBytes)}</td>
                  <td class="num">{n.processCount}</td>
                  <td class="small">{Object.entries(n.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

const STREAM_LABEL: Record<StreamStatus, string> = {
  connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', ended: 'ended', failed: 'refused',
};

const EVENT_TYPES: SchedulerEventType[] = ['PLACED', 'PLACEMENT_REFUSED', 'MIGRATION_STARTED', 'MIGRATED', 'MIGRATION_FAILED',
  'POLICY_CHANGED', 'FS_REPAIR_STARTED', 'FS_REPAIR_DONE'];

function EventsCard({ events, stream }: { events: SchedulerEvent[]; stream: StreamStatus }) {
  const [type, setType] = useState('');
  const shown = type ? events.filter((e) => e.type === type) : events;
  return (
    <div class="card events" aria-labelledby="events-title">
      <div class="card-head">
        <h2 id="events-title">Decisions</h2>
        <span class="muted small" data-testid="events-status">{STREAM_LABEL[stream]} · {events.length} kept</span>
      </div>
      <p class="muted small">Placements, the balancer’s migrations and policy changes of the last minutes, newest first,
        with the reason for each.</p>
      <div class="filters">
        <div class="field">
          <label for="event-kind">Kind of decision</label>
          <select id="event-kind" value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">all</option>
            {EVENT_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </div>
      </div>
      {shown.length === 0 ? <p class="empty">No decision {type ? 'of this kind ' : ''}yet.</p> : (
        <div class="table-wrap events-scroll" tabIndex={0} aria-label="Scheduler decisions">
          <table class="simple" data-testid="events">
            <thead>
              <tr>
                <th scope="col">Time</th><th scope="col">Decision</th><th scope="col">Process</th>
                <th scope="col">Where</th><th scope="col">Policy</th><th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.id} data-event-type={e.type} data-gpid={e.gpid}>
                  <td class="nowrap">{new Date(e.at).toLocaleTimeString()}</td>
                  <td><span class={`badge event-${e.type.toLowerCase()}`}>{e.type}</span></td>
                  <td>{e.gpid != null ? <a href={`#/processes/${e.gpid}`}>{e.gpid}</a> : '–'}</td>
                  <td class="nowrap">{e.fromNode && e.toNode ? `${e.fromNode} → ${e.toNode}` : e.toNode ?? e.fromNode ?? '–'}</td>
                  <td>{e.policy ?? '–'}</td>
                  <td class="reason">{e.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function MigrationsCard() {
  const { value: list, error } = usePolled<MigrationInfo[]>('api/v1/migrations', REFRESH_MS);
  const recent = (list ?? []).slice(0, 20);
  return (
    <div class="card" aria-labelledby="migrations-title">
      <h2 id="migrations-title">Recent migrations</h2>
      <p class="muted small">Every migration, asked for by an admin or by the balancer; refreshed every few seconds.</p>
      {error && <p class="error" role="alert">{error}</p>}
      {list && recent.length === 0 && <p class="empty">No migration yet.</p>}
      {recent.length > 0 && (
        <div class="table-wrap">
          <table class="simple" data-testid="migrations">
            <thead>
              <tr>
                <th scope="col">Started</th><th scope="col">Process</th><th scope="col">Where</th><th scope="col">State</th>
                <th scope="col" class="num">Freeze</th><th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {recent.map((m) => (
                <tr key={m.id} data-migration={m.id}>
                  <td class="nowrap">{time(m.createdAt)}</td>
                  <td><a href={`#/processes/${m.gpid}`}>{m.gpid}</a></td>
                  <td class="nowrap">{m.source} → {m.target}</td>
                  <td>{ended(m) ? m.state : <strong>{m.state}</strong>}</td>
                  <td class="num">{m.freezeMillis != null ? `${m.freezeMillis} ms` : '–'}</td>
                  <td class="reason">{m.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
