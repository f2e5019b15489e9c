// "Shared memory": the cluster-wide segments a process has attached (GET /api/v1/shm, filtered
// by the attachments' gpid), each with what every node holds of it (GET /api/v1/shm/{id}: pages
// resident, faults, pages in and out). Polled every 2 s while the page is open and the process
// lives; admins may remove a segment (DELETE /api/v1/shm/{id}, unum ipcrm).
import { ApiError, call } from './api';
import { bytes, time } from './format';
import { errorText, MessageLine, useAction, type Message } from './messages';
import type { ProcessInfo, ShmAttachmentInfo, ShmSegmentInfo } from './model';
import { usePolling } from './poll';
import { useState } from 'preact/hooks';

const POLL_MS = 2000;

/** A segment as shown: its detail, or its list entry and why the detail could not be read. */
type Segment = ShmSegmentInfo & { detailError?: string };

/** The segments `gpid` has attached, each with its per-node pages. */
async function attachedSegments(gpid: number): Promise<Segment[]> {
  const all = await call<ShmSegmentInfo[]>('GET', 'api/v1/shm');
  const mine = all.filter((s) => s.attachments.some((a) => a.gpid === gpid));
  const detailed = await Promise.all(mine.map((s) =>
    call<ShmSegmentInfo>('GET', `api/v1/shm/${s.id}`).then(
      (d): Segment | null => d,
      // Gone between the two calls: its last process detached from a removed segment.
      (e): Segment | null => (e instanceof ApiError && e.status === 404 ? null : { ...s, detailError: errorText(e) }))));
  return detailed.filter((s): s is Segment => s != null);
}

/** As ipcs shows it: the POSIX name, else the System V key in hex, or IPC_PRIVATE. */
export function keyOrName(s: ShmSegmentInfo): string {
  if (s.name != null) {
    return s.name;
  }
  return s.key == null || s.key === 0 ? 'IPC_PRIVATE' : `0x${(s.key >>> 0).toString(16).padStart(8, '0')}`;
}

export function SharedMemoryCard({ p, admin }: { p: ProcessInfo; admin: boolean }) {
  const live = !(p.state === 'EXITED' || p.state === 'FAILED');
  const { value: segments, error, refresh } = usePolling(() => attachedSegments(p.gpid), live ? String(p.gpid) : null, POLL_MS);
  const [message, setMessage] = useState<Message>(null);
  const remote = p.capabilities.effective.includes('USE_REMOTE_MEMORY');
  const any = segments != null && segments.length > 0;

  // Only a process with the capability gets the cluster's shared memory (the agent preloads the
  // library into no other), so for the others the card stays away unless something is attached.
  if (!live || (!remote && !any)) {
    return null;
  }
  return (
    <div class="card shm" aria-labelledby="shm-title" data-testid="shm">
      <h2 id="shm-title">Shared memory</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {segments == null && !error && <p class="muted small">Loading…</p>}
      {segments != null && segments.length === 0 && (
        <p class="muted small" data-testid="shm-none">
          No cluster-wide shared memory attached. Start a process with USE_REMOTE_MEMORY to share System V or POSIX
          segments across nodes.
        </p>
      )}
      {any && segments.map((s) => (
        <SegmentView key={s.id} s={s} self={p.gpid} admin={admin} onRemoved={(m) => { setMessage(m); refresh(); }} />
      ))}
      <MessageLine message={message} testId="shm-message" />
    </div>
  );
}

function SegmentView({ s, self, admin, onRemoved }: {
  s: Segment; self: number; admin: boolean; onRemoved: (m: Message) => void;
}) {
  const { busy, run } = useAction((m) => m && onRemoved(m));
  const name = keyOrName(s);

  const remove = () => {
    if (!confirm(`Remove shared memory segment ${s.id} (${name})? Its ${s.name != null ? 'name' : 'key'} is freed at once; `
      + 'the segment is destroyed when its last process detaches.')) {
      return;
    }
    run(async () => {
      const after = await call<ShmSegmentInfo>('DELETE', `api/v1/shm/${s.id}`);
      return after.attachments.length > 0
        ? `Segment ${s.id} removed: ${name} is free; it is destroyed when its last process detaches.`
        : `Segment ${s.id} removed.`;
    });
  };

  return (
    <section class={`shm-segment shm-${s.state.toLowerCase()}`} data-shm={s.id} aria-labelledby={`shm-${s.id}-title`}>
      <div class="card-head">
        <h3 id={`shm-${s.id}-title`}>
          Segment <span data-testid="shm-id">{s.id}</span> <code data-testid="shm-key">{name}</code>
        </h3>
        <span class={`badge state-${s.state.toLowerCase()}`} data-testid="shm-state">{s.state}</span>
      </div>
      {s.state === 'DEGRADED' && (
        <p class="error" data-testid="shm-lost">
          Lost {s.lostPages} {s.lostPages === 1 ? 'page' : 'pages'}: {s.lostReason ?? 'no reason recorded'}.
          A touch of a lost page ends the process with SIGBUS.
        </p>
      )}
      {s.state === 'REMOVED' && (
        <p class="muted small">Removed: destroyed when its last process detaches.</p>
      )}
      <dl class="facts">
        <dt>Size</dt><dd>{bytes(s.sizeBytes)} <span class="muted small">(mode {s.mode.toString(8).padStart(3, '0')})</span></dd>
        <dt>Home node</dt><dd data-testid="shm-home">{s.homeNode}</dd>
        <dt>Attached on</dt><dd data-testid="shm-nodes"><Attachments list={s.attachments} self={self} /></dd>
        <dt>Created</dt>
        <dd>{time(s.createdAt)} by {s.creatorGpid === self ? 'this process' : <a href={`#/processes/${s.creatorGpid}`}>{s.creatorGpid}</a>}</dd>
      </dl>
      {s.detailError && <p class="error small">Pages per node unavailable: {s.detailError}</p>}
      {s.pages != null && s.pages.length > 0 && (
        <div class="table-wrap">
          <table class="simple shm-pages" aria-label={`Pages of segment ${s.id} per node`}>
            <thead>
              <tr>
                <th scope="col">Node</th><th scope="col" class="num">Resident</th><th scope="col" class="num">Writable</th>
                <th scope="col" class="num">Read faults</th><th scope="col" class="num">Write faults</th>
                <th scope="col" class="num">Pages in</th><th scope="col" class="num">Pages out</th>
                <th scope="col" class="num">Invalidated</th>
              </tr>
            </thead>
            <tbody>
              {s.pages.map((n) => (
                <tr key={n.node} data-shm-node={n.node}>
                  <th scope="row" class="nowrap">{n.node}{n.node === s.homeNode ? <span class="muted small"> (home)</span> : null}</th>
                  {n.error ? <td colSpan={7} class="error">{n.error}</td> : (
                    <>
                      <td class="num">{n.residentPages}</td><td class="num">{n.writablePages}</td>
                      <td class="num">{n.readFaults}</td><td class="num">{n.writeFaults}</td>
                      <td class="num" data-testid="shm-pages-in">{n.pagesReceived}</td>
                      <td class="num" data-testid="shm-pages-out">{n.pagesSent}</td>
                      <td class="num">{n.invalidations}</td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {admin && s.state !== 'REMOVED' && (
        <p>
          <button type="button" class="danger" disabled={busy} onClick={remove} aria-label={`Remove segment ${s.id}`}>
            Remove
          </button>
        </p>
      )}
    </section>
  );
}

/** "node-1: 12 (this process), node-2: 14", each other process a link to its page. */
function Attachments({ list, self }: { list: ShmAttachmentInfo[]; self: number }) {
  if (list.length === 0) {
    return <>none</>;
  }
  const byNode = new Map<string, number[]>();
  for (const a of list) {
    const gpids = byNode.get(a.node) ?? [];
    if (!gpids.includes(a.gpid)) {
      gpids.push(a.gpid);
    }
    byNode.set(a.node, gpids);
  }
  return (
    <ul class="plain shm-attached">
      {[...byNode].map(([node, gpids]) => (
        <li key={node} data-shm-attached={node}>
          {node}: {gpids.map((g, i) => (
            <span key={g}>
              {i > 0 ? ', ' : ''}
              {g === self ? <>{g} <span class="muted small">(this process)</span></> : <a href={`#/processes/${g}`}>{g}</a>}
            </span>
          ))}
        </li>
      ))}
    </ul>
  );
}
