// Live copies of the process table and the nodes, fed by the two event streams. Views
// subscribe and re-render at most once per animation frame, however many events arrive.
import { useEffect, useState } from 'preact/hooks';
import { follow, type StreamStatus } from './api';
import type { NodeEvent, NodeInfo, ProcessEvent, ProcessInfo } from './model';

type Listener = () => void;

abstract class LiveStore {
  version = 0;
  status: StreamStatus = 'connecting';
  statusMessage = '';
  /** True once the first snapshot arrived. */
  loaded = false;
  private listeners = new Set<Listener>();
  private scheduled = false;
  private stop: (() => void) | null = null;

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected changed(): void {
    this.version++;
    if (this.scheduled) {
      return;
    }
    this.scheduled = true;
    const flush = () => {
      this.scheduled = false;
      this.listeners.forEach((l) => l());
    };
    // requestAnimationFrame pauses in hidden tabs; the timeout keeps state current there.
    if (document.visibilityState === 'visible') {
      requestAnimationFrame(flush);
    } else {
      setTimeout(flush, 250);
    }
  }

  protected connect<T>(path: string, apply: (event: T) => void): void {
    this.disconnect();
    this.stop = follow<T>({
      path: () => path,
      reconnectOnEnd: true,
      onEvent: (event) => {
        apply(event);
        this.changed();
      },
      onStatus: (status, message) => {
        this.status = status;
        this.statusMessage = message ?? '';
        this.changed();
      },
    });
  }

  disconnect(): void {
    this.stop?.();
    this.stop = null;
    this.loaded = false;
  }
}

export class ProcessStore extends LiveStore {
  readonly byGpid = new Map<number, ProcessInfo>();
  /** Server clock minus this browser's clock, from the events' timestamps (uptimes without skew). */
  clockOffset = 0;

  start(): void {
    this.connect<ProcessEvent>('api/v1/processes/events', (e) => this.apply(e));
  }

  now(): number {
    return Date.now() + this.clockOffset;
  }

  get(gpid: number): ProcessInfo | undefined {
    return this.byGpid.get(gpid);
  }

  children(gpid: number): ProcessInfo[] {
    const out: ProcessInfo[] = [];
    this.byGpid.forEach((p) => p.parentGpid === gpid && out.push(p));
    return out.sort((a, b) => a.gpid - b.gpid);
  }

  /** Records a change the UI made itself, ahead of the stream's echo of it. */
  put(process: ProcessInfo): void {
    this.byGpid.set(process.gpid, this.keepUsage(process));
    this.changed();
  }

  private apply(event: ProcessEvent): void {
    this.clockOffset = Date.parse(event.at) - Date.now();
    switch (event.type) {
      case 'SNAPSHOT':
        this.byGpid.clear();
        event.processes?.forEach((p) => this.byGpid.set(p.gpid, p));
        this.loaded = true;
        break;
      case 'UPSERT':
        event.processes?.forEach((p) => this.byGpid.set(p.gpid, this.keepUsage(p)));
        break;
      case 'REMOVE':
        event.gpids?.forEach((g) => this.byGpid.delete(g));
        break;
      case 'TICK':
        Object.entries(event.usage ?? {}).forEach(([gpid, u]) => {
          const p = this.byGpid.get(Number(gpid));
          if (p && p.state === 'RUNNING') {
            this.byGpid.set(p.gpid, { ...p, cpuPercent: u.cpuPercent, rssBytes: u.rssBytes });
          }
        });
        break;
    }
  }

  /** A changed record may lack usage the last tick already gave; usage only matters while RUNNING. */
  private keepUsage(p: ProcessInfo): ProcessInfo {
    const old = this.byGpid.get(p.gpid);
    if (p.state === 'RUNNING' && p.cpuPercent == null && old && old.state === 'RUNNING' && old.cpuPercent != null) {
      return { ...p, cpuPercent: old.cpuPercent, rssBytes: old.rssBytes };
    }
    return p;
  }
}

/** One sample of a node's load, for its chart. */
export interface Sample {
  t: number;
  cpu: number;
  mem: number;
}

export const HISTORY_SECONDS = 300;

export class NodeStore extends LiveStore {
  readonly byName = new Map<string, NodeInfo>();
  readonly history = new Map<string, Sample[]>();

  start(): void {
    this.connect<NodeEvent>('api/v1/nodes/events', (e) => this.apply(e));
  }

  list(): NodeInfo[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private apply(event: NodeEvent): void {
    switch (event.type) {
      case 'SNAPSHOT':
        this.byName.clear();
        event.nodes?.forEach((n) => this.put(n));
        this.loaded = true;
        break;
      case 'UPSERT':
        event.nodes?.forEach((n) => this.put(n));
        break;
      case 'REMOVE':
        event.names?.forEach((n) => {
          this.byName.delete(n);
          this.history.delete(n);
        });
        break;
    }
  }

  private put(node: NodeInfo): void {
    this.byName.set(node.name, node);
    if (!node.load || !node.lastHeartbeatAt || node.state !== 'READY') {
      return;
    }
    const t = Date.parse(node.lastHeartbeatAt) / 1000;
    const samples = this.history.get(node.name) ?? [];
    if (samples.length > 0 && samples[samples.length - 1].t >= t) {
      return;
    }
    samples.push({ t, cpu: node.load.cpuPercent, mem: memoryUsedPercent(node) });
    while (samples.length > 0 && samples[0].t < t - HISTORY_SECONDS) {
      samples.shift();
    }
    this.history.set(node.name, samples);
  }
}

export function memoryUsedPercent(node: NodeInfo): number {
  if (!node.load || node.memoryBytes <= 0) {
    return 0;
  }
  return Math.max(0, Math.min(100, (100 * (node.memoryBytes - node.load.memoryFreeBytes)) / node.memoryBytes));
}

export const processes = new ProcessStore();
export const nodes = new NodeStore();

/** Re-renders the calling component when the store changes; returns the store's version. */
export function useStore(store: LiveStore): number {
  const [, setVersion] = useState(store.version);
  useEffect(() => store.subscribe(() => setVersion(store.version)), [store]);
  return store.version;
}
