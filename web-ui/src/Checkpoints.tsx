// "Checkpoint" (optionally stopping the process) and the process's checkpoints, each with a
// restart on a chosen node. Only shown to admins: every call here needs the admin role except
// the list, and the list is only useful with the actions.
import { useEffect, useState } from 'preact/hooks';
import { call } from './api';
import { bytes, time } from './format';
import { errorText, MessageLine, useAction, type Message } from './messages';
import type { CheckpointInfo, ProcessInfo } from './model';
import { nodes, processes, useStore } from './store';

/** Shared by the form and the list: a new checkpoint, a restart or a delete reloads the list. */
export function useCheckpoints(p: ProcessInfo) {
  const [list, setList] = useState<CheckpointInfo[] | null>(null);
  const [error, setError] = useState('');
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let current = true;
    call<CheckpointInfo[]>('GET', `api/v1/checkpoints?gpid=${p.gpid}`)
      .then((l) => {
        if (current) {
          setList(l);
          setError('');
        }
      })
      .catch((e) => current && setError(errorText(e)));
    return () => {
      current = false;
    };
    // A change of state (stopped by a checkpoint taken elsewhere, restarted) may mean a changed list.
  }, [p.gpid, p.state, version]);
  return { list, error, reload: () => setVersion((v) => v + 1) };
}

export function CheckpointForm({ p, onTaken }: { p: ProcessInfo; onTaken: () => void }) {
  const [stop, setStop] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  const { busy, run } = useAction(setMessage);
  const running = p.state === 'RUNNING';

  const take = (e: Event) => {
    e.preventDefault();
    run(async () => {
      const c = await call<CheckpointInfo>('POST', `api/v1/processes/${p.gpid}/checkpoints`, { kill: stop });
      onTaken();
      return `Checkpoint ${c.id} taken on ${c.node}: ${bytes(c.imageBytes)} in ${c.dumpMillis} ms`
        + (c.syncMillis != null ? `, on disk ${c.syncMillis} ms later` : '')
        + (c.killed ? '; the process was stopped.' : '; the process runs on.');
    });
  };

  return (
    <div class="action">
      <form class="inline" onSubmit={take}>
        <button type="submit" disabled={busy || !running}>{busy ? 'Checkpointing…' : 'Checkpoint'}</button>
        <label class="check-inline">
          <input type="checkbox" checked={stop} onChange={(e) => setStop(e.currentTarget.checked)} />
          Stop it after the checkpoint
        </label>
      </form>
      {running && !p.capabilities.effective.includes('CHECKPOINTABLE') && (
        <p class="muted small">It lacks CHECKPOINTABLE in its effective set, so the control plane will refuse.</p>
      )}
      <MessageLine message={message} testId="checkpoint-message" />
    </div>
  );
}

export function CheckpointsCard({ p, list, error, reload }: {
  p: ProcessInfo; list: CheckpointInfo[] | null; error: string; reload: () => void;
}) {
  const [message, setMessage] = useState<Message>(null);
  return (
    <div class="card" aria-labelledby="checkpoints-title" data-testid="checkpoints">
      <h2 id="checkpoints-title">Checkpoints</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {list == null && !error && <p class="muted small">Loading…</p>}
      {list != null && list.length === 0 && <p class="muted small">No checkpoint of process {p.gpid}.</p>}
      {list != null && list.length > 0 && (
        <div class="table-wrap">
          <table class="simple">
            <thead>
              <tr>
                <th scope="col">Checkpoint</th><th scope="col">Taken</th><th scope="col">Node</th>
                <th scope="col">Image</th><th scope="col">Restart</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => <CheckpointRow key={c.id} c={c} onDone={(m) => { setMessage(m); if (m) { reload(); } }} />)}
            </tbody>
          </table>
        </div>
      )}
      <MessageLine message={message} testId="checkpoints-message" />
    </div>
  );
}

function CheckpointRow({ c, onDone }: { c: CheckpointInfo; onDone: (m: Message) => void }) {
  useStore(nodes);
  const ready = nodes.list().filter((n) => n.state === 'READY');
  const [node, setNode] = useState('');
  const { busy, run } = useAction(onDone);

  const restart = (e: Event) => {
    e.preventDefault();
    run(async () => {
      const p = await call<ProcessInfo>('POST', `api/v1/checkpoints/${c.id}/restart`, node ? { node } : {});
      processes.put(p);
      return `Process ${p.gpid} restarted from ${c.id} on ${p.node}.`;
    });
  };

  const remove = () => {
    if (!confirm(`Delete checkpoint ${c.id} and its image?`)) {
      return;
    }
    run(async () => {
      await call('DELETE', `api/v1/checkpoints/${c.id}`);
      return `Checkpoint ${c.id} deleted.`;
    });
  };

  return (
    <tr data-checkpoint={c.id}>
      <th scope="row"><code>{c.id}</code></th>
      <td>{time(c.createdAt)}{c.killed ? <span class="muted small"> (stopped it)</span> : null}</td>
      <td class="nowrap">{c.node}</td>
      <td class="nowrap">
        {bytes(c.imageBytes)}
        {c.treePath ? <span class="muted small" title={`A copy is kept at ${c.treePath} in the cluster file system`}> · copy in the file system</span>
          : <span class="muted small" title={`Only ${c.node} holds this image`}> · on {c.node} only</span>}
      </td>
      <td>
        <form class="inline" onSubmit={restart}>
          <select aria-label={`Node to restart ${c.id} on`} value={node} onChange={(e) => setNode(e.currentTarget.value)}>
            <option value="">any node</option>
            {ready.map((n) => <option key={n.name} value={n.name}>{n.name}</option>)}
          </select>
          <button type="submit" disabled={busy}>Restart</button>
          <button type="button" class="link" disabled={busy} onClick={remove} aria-label={`Delete ${c.id}`}>Delete</button>
        </form>
      </td>
    </tr>
  );
}
