// "Storage": the cluster file system (one tree at /unum/fs on every node) as GET /api/v1/fs/usage
// tells it: each node's disk as its agent last reported it, and the leader's repair of chunks
// below their replica goal. Polled every 2 s while the view is open; there is no event stream.
import { Bar } from './Bar';
import { bytes, duration, time } from './format';
import type { FsNodeUsageInfo, FsRepairInfo, FsUsage } from './model';
import { usePolled } from './poll';
import { processes } from './store';

const POLL_MS = 2000;

export function StorageView() {
  const { value: usage, error } = usePolled<FsUsage>('api/v1/fs/usage', POLL_MS);
  // What new chunks can go to: a DOWN node's disk is no room for a write.
  const reported = usage?.nodes.filter((n) => n.reportedAt != null && n.nodeState === 'READY') ?? [];
  const capacity = reported.reduce((s, n) => s + n.capacityBytes, 0);
  const free = reported.reduce((s, n) => s + n.freeBytes, 0);
  const blocks = reported.reduce((s, n) => s + n.usedBytes, 0);

  return (
    <section aria-labelledby="storage-title" class="storage">
      <h1 id="storage-title" tabIndex={-1}>Storage</h1>
      <p class="muted small">
        The cluster file system: one tree, mounted at <code>/unum/fs</code> on every node, each chunk of a file kept on as
        many nodes as its goal. <code>unum fs df</code> shows the same.
      </p>
      {error && <p class="error" role="alert">{error}</p>}
      {!usage && !error && <p role="status">Loading…</p>}
      {usage && (
        <>
          <dl class="totals" aria-label="Storage totals">
            <div><dt>Capacity of READY nodes</dt><dd data-testid="fs-capacity">{bytes(capacity)}</dd></div>
            <div><dt>Free</dt><dd>{bytes(free)}</dd></div>
            <div><dt>Used by blocks</dt><dd>{bytes(blocks)}</dd></div>
            <div><dt>Chunks</dt><dd data-testid="fs-chunks">{usage.repair.chunks}</dd></div>
          </dl>
          <RepairCard r={usage.repair} />
          {usage.nodes.length === 0 && <p>No node has reported its storage yet.</p>}
          <ul class="nodes" aria-label="Storage per node">
            {usage.nodes.map((n) => <NodeStorage key={n.node} n={n} />)}
          </ul>
        </>
      )}
    </section>
  );
}

function RepairCard({ r }: { r: FsRepairInfo }) {
  const health = r.unavailableChunks > 0 ? 'unavailable' : r.underReplicatedChunks > 0 ? 'repairing' : 'healthy';
  const label = { unavailable: 'Chunks unavailable', repairing: 'Repairing', healthy: 'Every chunk at its goal' }[health];
  return (
    <div class="card fs-repair" aria-labelledby="fs-repair-title" data-testid="fs-repair">
      <div class="card-head">
        <h2 id="fs-repair-title">Redundancy</h2>
        <span class={`badge fs-${health}`} data-testid="fs-health">{label}</span>
      </div>
      <dl class="facts">
        <dt>Under-replicated</dt>
        <dd data-testid="fs-under-replicated">
          {r.underReplicatedChunks} <span class="muted small">chunks with fewer healthy replicas than their goal</span>
        </dd>
        <dt>Unavailable</dt>
        <dd data-testid="fs-unavailable" class={r.unavailableChunks > 0 ? 'error' : undefined}>
          {r.unavailableChunks} <span class="muted small">chunks with no replica on a READY node (unreadable until one is back)</span>
        </dd>
        <dt>Repaired</dt>
        <dd><span data-testid="fs-repaired">{r.replicasRepaired}</span> replicas copied since this leader took over,{' '}
          <span data-testid="fs-in-flight">{r.repairsInFlight}</span> in flight</dd>
        <dt>Last scan</dt>
        <dd data-testid="fs-last-scan">
          {r.lastScanAt ? `${time(r.lastScanAt)} (${duration(Math.max(0, processes.now() - Date.parse(r.lastScanAt)))} ago)` : 'not yet'}
        </dd>
        <dt>Defaults</dt><dd>goal {r.defaultReplicas}, chunks of {bytes(r.chunkSizeBytes)}</dd>
      </dl>
    </div>
  );
}

function NodeStorage({ n }: { n: FsNodeUsageInfo }) {
  const state = n.nodeState.toLowerCase();
  const known = n.reportedAt != null && n.capacityBytes > 0;
  const usedPercent = known ? (100 * (n.capacityBytes - n.freeBytes)) / n.capacityBytes : 0;
  const blocksPercent = known ? (100 * n.usedBytes) / n.capacityBytes : 0;
  return (
    <li class={`card node node-${state}`} aria-labelledby={`fs-node-${n.node}`} data-fs-node={n.node}>
      <div class="card-head">
        <h2 id={`fs-node-${n.node}`}>{n.node}</h2>
        <span class={`badge state-${state}`}>{n.nodeState}</span>
      </div>
      {n.reportedAt == null ? <p class="muted small" data-testid="fs-node-never">Its agent has not reported its storage yet.</p> : (
        <>
          <Bar label={`Disk used on ${n.node}`} short="Disk" value={usedPercent}
            text={known ? `${bytes(n.capacityBytes - n.freeBytes)} of ${bytes(n.capacityBytes)}` : '–'} />
          <Bar label={`Blocks on ${n.node}`} short="Blocks" value={blocksPercent} text={bytes(n.usedBytes)} />
          <p class="small">
            <span data-testid="fs-node-free">{bytes(n.freeBytes)}</span> free ·{' '}
            <span data-testid="fs-node-blocks">{n.blocks}</span> blocks · reported{' '}
            {duration(Math.max(0, processes.now() - Date.parse(n.reportedAt)))} ago
          </p>
        </>
      )}
    </li>
  );
}
