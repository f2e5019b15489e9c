import { Bar } from './Bar';
import { bytes, duration } from './format';
import type { NodeInfo } from './model';
import { NodeChart } from './NodeChart';
import { memoryUsedPercent, nodes, processes, useStore } from './store';

export function ClusterView() {
  const version = useStore(nodes);
  useStore(processes);
  const list = nodes.list();
  const ready = list.filter((n) => n.state === 'READY');
  const cores = ready.reduce((s, n) => s + n.cores, 0);
  const memory = ready.reduce((s, n) => s + n.memoryBytes, 0);
  const used = ready.reduce((s, n) => s + (n.load ? n.memoryBytes - n.load.memoryFreeBytes : 0), 0);
  // CPU of the whole machine: each node's CPU weighted by its cores.
  const cpu = cores === 0 ? 0 : ready.reduce((s, n) => s + (n.load?.cpuPercent ?? 0) * n.cores, 0) / cores;
  let running = 0;
  processes.byGpid.forEach((p) => p.state === 'RUNNING' && running++);

  return (
    <section aria-labelledby="cluster-title">
      <h1 id="cluster-title" tabIndex={-1}>Cluster</h1>
      <dl class="totals" aria-label="Cluster totals">
        <div><dt>Nodes ready</dt><dd data-testid="nodes-ready">{ready.length} / {list.length}</dd></div>
        <div><dt>Cores</dt><dd>{cores}</dd></div>
        <div><dt>Memory</dt><dd>{bytes(used)} / {bytes(memory)}</dd></div>
        <div><dt>CPU</dt><dd>{cpu.toFixed(1)}%</dd></div>
        <div><dt>Processes</dt><dd><a href="#/processes">{running} running</a> · {processes.byGpid.size} known</dd></div>
      </dl>
      {!nodes.loaded && <p role="status">Loading nodes…</p>}
      {nodes.loaded && list.length === 0 && <p>No node has registered yet. Start a node agent and it appears here.</p>}
      <ul class="nodes" aria-label="Nodes">
        {list.map((n) => <NodeCard key={n.name} node={n} version={version} />)}
      </ul>
    </section>
  );
}

function NodeCard({ node, version }: { node: NodeInfo; version: number }) {
  const load = node.load;
  const samples = nodes.history.get(node.name) ?? [];
  const since = node.lastHeartbeatAt ? processes.now() - Date.parse(node.lastHeartbeatAt) : null;
  return (
    <li class={`card node node-${node.state.toLowerCase()}`} aria-labelledby={`node-${node.name}`} data-node={node.name}>
      <div class="card-head">
        <h2 id={`node-${node.name}`}>{node.name}</h2>
        <span class={`badge state-${node.state.toLowerCase()}`}>{node.state}</span>
      </div>
      <p class="muted small">{node.address} · {node.cores} cores · {bytes(node.memoryBytes)}</p>
      <Bar label={`CPU of ${node.name}`} short="CPU" value={load?.cpuPercent ?? 0} text={`${(load?.cpuPercent ?? 0).toFixed(0)}%`} />
      <Bar label={`Memory of ${node.name}`} short="Memory" value={memoryUsedPercent(node)}
        text={load ? `${bytes(node.memoryBytes - load.memoryFreeBytes)} of ${bytes(node.memoryBytes)}` : '–'} />
      <p class="small">
        load {load ? load.load1.toFixed(2) : '–'} · {load?.processCount ?? 0} processes ·
        heartbeat {since == null ? '–' : `${duration(Math.max(0, since))} ago`}
      </p>
      <NodeChart name={node.name} samples={samples} version={version} />
    </li>
  );
}
