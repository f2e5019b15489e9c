import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { bytes, command, duration, percent } from './format';
import { PROCESS_STATES, type ProcessInfo } from './model';
import { nodes, processes, useStore } from './store';

type SortKey = 'gpid' | 'node' | 'user' | 'state' | 'cpu' | 'rss' | 'uptime' | 'command';

interface Column {
  key: SortKey;
  label: string;
  numeric?: boolean;
  optional?: boolean;
}

const COLUMNS: Column[] = [
  { key: 'gpid', label: 'GPID', numeric: true },
  { key: 'node', label: 'Node' },
  { key: 'user', label: 'User', optional: true },
  { key: 'state', label: 'State' },
  { key: 'cpu', label: 'CPU %', numeric: true },
  { key: 'rss', label: 'RSS', numeric: true, optional: true },
  { key: 'uptime', label: 'Uptime', numeric: true, optional: true },
  { key: 'command', label: 'Command' },
];

const ROW_HEIGHT = 32;
const OVERSCAN = 12;

export function uptime(p: ProcessInfo, now: number): number | null {
  if (!p.startedAt) {
    return null;
  }
  const end = p.endedAt ? Date.parse(p.endedAt) : p.state === 'RUNNING' || p.state === 'LOST' ? now : null;
  return end == null ? null : end - Date.parse(p.startedAt);
}

function sortValue(p: ProcessInfo, key: SortKey, now: number): number | string {
  switch (key) {
    case 'gpid': return p.gpid;
    case 'node': return p.node ?? '';
    case 'user': return p.user ?? '';
    case 'state': return p.state;
    case 'cpu': return p.cpuPercent ?? -1;
    case 'rss': return p.rssBytes ?? -1;
    case 'uptime': return uptime(p, now) ?? -1;
    case 'command': return command(p.argv);
  }
}

/** What the view remembers across visits (returning from a process keeps sort, filters, scroll and selection). */
const memory = {
  sort: { key: 'cpu' as SortKey, desc: true },
  filters: { text: '', node: '', state: '', user: '' },
  scrollTop: 0,
  selected: null as number | null,
};

export function ProcessesView() {
  const version = useStore(processes);
  useStore(nodes);
  const [sort, setSort] = useState(memory.sort);
  const [filters, setFilters] = useState(memory.filters);
  const [selected, setSelected] = useState<number | null>(memory.selected);
  const [scroll, setScroll] = useState({ top: memory.scrollTop, height: 600 });
  const scroller = useRef<HTMLDivElement>(null);
  memory.sort = sort;
  memory.filters = filters;
  memory.selected = selected;

  const now = processes.now();
  const users = useMemo(() => {
    const set = new Set<string>();
    processes.byGpid.forEach((p) => p.user && set.add(p.user));
    return [...set].sort();
  }, [version]);

  const rows = useMemo(() => {
    const text = filters.text.trim().toLowerCase();
    const out: ProcessInfo[] = [];
    processes.byGpid.forEach((p) => {
      if ((filters.node && p.node !== filters.node) || (filters.state && p.state !== filters.state)
        || (filters.user && p.user !== filters.user)) {
        return;
      }
      if (text && !`${p.gpid} ${p.node ?? ''} ${p.user ?? ''} ${p.state} ${command(p.argv)}`.toLowerCase().includes(text)) {
        return;
      }
      out.push(p);
    });
    const dir = sort.desc ? -1 : 1;
    out.sort((a, b) => {
      const x = sortValue(a, sort.key, now);
      const y = sortValue(b, sort.key, now);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return c !== 0 ? dir * c : a.gpid - b.gpid;
    });
    return out;
  }, [version, sort, filters]);

  // Keep the scroll position across re-renders and visits; only the rows in view are rendered.
  useLayoutEffect(() => {
    const el = scroller.current!;
    el.scrollTop = memory.scrollTop;
    const measure = () => setScroll({ top: el.scrollTop, height: el.clientHeight });
    measure();
    const resize = new ResizeObserver(measure);
    resize.observe(el);
    return () => resize.disconnect();
  }, []);

  const onScroll = () => {
    const el = scroller.current!;
    memory.scrollTop = el.scrollTop;
    setScroll({ top: el.scrollTop, height: el.clientHeight });
  };

  const first = Math.max(0, Math.floor(scroll.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scroll.top + scroll.height) / ROW_HEIGHT) + OVERSCAN);
  const visible = rows.slice(first, last);

  const selectedIndex = selected == null ? -1 : rows.findIndex((p) => p.gpid === selected);
  const moveSelection = (index: number) => {
    if (rows.length === 0) {
      return;
    }
    const i = Math.max(0, Math.min(rows.length - 1, index));
    setSelected(rows[i].gpid);
    const el = scroller.current!;
    const header = ROW_HEIGHT;
    const top = i * ROW_HEIGHT;
    if (top < el.scrollTop) {
      el.scrollTop = top;
    } else if (top + ROW_HEIGHT + header > el.scrollTop + el.clientHeight) {
      el.scrollTop = top + ROW_HEIGHT + header - el.clientHeight;
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 300) / ROW_HEIGHT) - 1);
    const keys: Record<string, () => void> = {
      ArrowDown: () => moveSelection(selectedIndex + 1),
      ArrowUp: () => moveSelection(selectedIndex < 0 ? 0 : selectedIndex - 1),
      PageDown: () => moveSelection(selectedIndex + page),
      PageUp: () => moveSelection(selectedIndex - page),
      Home: () => moveSelection(0),
      End: () => moveSelection(rows.length - 1),
      Enter: () => { if (selected != null) location.hash = `#/processes/${selected}`; },
    };
    const action = keys[e.key];
    if (action && (e.target === scroller.current || e.key !== 'Enter')) {
      e.preventDefault();
      action();
    }
  };

  useEffect(() => {
    if (selected != null && selectedIndex < 0 && processes.loaded && !processes.byGpid.has(selected)) {
      setSelected(null);
    }
  }, [version]);

  const set = (key: keyof typeof filters) => (e: Event) =>
    setFilters({ ...filters, [key]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  const running = useMemo(() => {
    let n = 0;
    processes.byGpid.forEach((p) => p.state === 'RUNNING' && n++);
    return n;
  }, [version]);

  return (
    <section aria-labelledby="processes-title" class="processes">
      <div class="title-row">
        <h1 id="processes-title" tabIndex={-1}>Processes</h1>
        <p class="muted" aria-live="polite" data-testid="process-count">
          {rows.length} shown · {running} running · {processes.byGpid.size} in the cluster
        </p>
      </div>
      <form class="filters" role="search" aria-label="Filter processes" onSubmit={(e) => e.preventDefault()}>
        <label>Search<input type="search" value={filters.text} onInput={set('text')} placeholder="gpid, command, user…" /></label>
        <label>Node
          <select value={filters.node} onChange={set('node')}>
            <option value="">All nodes</option>
            {nodes.list().map((n) => <option key={n.name} value={n.name}>{n.name}</option>)}
          </select>
        </label>
        <label>State
          <select value={filters.state} onChange={set('state')}>
            <option value="">All states</option>
            {PROCESS_STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>User
          <select value={filters.user} onChange={set('user')}>
            <option value="">All users</option>
            {users.map((u) => <option key={u} value={u}>{u}</option>)}
          </select>
        </label>
      </form>
      <div class="table-scroll" ref={scroller} onScroll={onScroll} tabIndex={0} onKeyDown={onKeyDown}
        aria-label="Process table: arrow keys select a row, Enter opens it">
        <table class="ptable" aria-rowcount={rows.length + 1}>
          <thead>
            <tr aria-rowindex={1}>
              {COLUMNS.map((c) => (
                <th key={c.key} scope="col" class={`${c.numeric ? 'num' : ''} ${c.optional ? 'optional' : ''} col-${c.key}`}
                  aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : undefined}>
                  <button type="button" class="sort"
                    onClick={() => setSort(sort.key === c.key ? { key: c.key, desc: !sort.desc } : { key: c.key, desc: !!c.numeric })}>
                    {c.label}<span aria-hidden="true">{sort.key === c.key ? (sort.desc ? ' ▼' : ' ▲') : ''}</span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {first > 0 && <tr aria-hidden="true" class="spacer" style={{ height: `${first * ROW_HEIGHT}px` }} />}
            {visible.map((p, i) => (
              <Row key={p.gpid} p={p} now={now} index={first + i} selected={p.gpid === selected}
                onSelect={() => setSelected(p.gpid)} />
            ))}
            {last < rows.length && <tr aria-hidden="true" class="spacer" style={{ height: `${(rows.length - last) * ROW_HEIGHT}px` }} />}
          </tbody>
        </table>
        {processes.loaded && rows.length === 0 && (
          <p class="empty">{processes.byGpid.size === 0 ? 'No processes yet: start one with `unum run` or POST /api/v1/processes.'
            : 'No process matches the filters.'}</p>
        )}
        {!processes.loaded && <p class="empty" role="status">Loading the process table…</p>}
      </div>
    </section>
  );
}

function Row({ p, now, index, selected, onSelect }:
  { p: ProcessInfo; now: number; index: number; selected: boolean; onSelect: () => void }) {
  const cmd = command(p.argv);
  return (
    <tr class={selected ? 'selected' : undefined} aria-selected={selected} aria-rowindex={index + 2} data-gpid={p.gpid}
      onClick={onSelect} onDblClick={() => { location.hash = `#/processes/${p.gpid}`; }}>
      <td class="num"><a href={`#/processes/${p.gpid}`} aria-label={`Process ${p.gpid}`}>{p.gpid}</a></td>
      <td>{p.node ?? '–'}</td>
      <td class="optional">{p.user ?? '–'}</td>
      <td><span class={`badge state-${p.state.toLowerCase()}`}>{p.state}</span></td>
      <td class="num">{p.state === 'RUNNING' ? percent(p.cpuPercent) : '–'}</td>
      <td class="num optional">{p.state === 'RUNNING' ? bytes(p.rssBytes) : '–'}</td>
      <td class="num optional">{duration(uptime(p, now))}</td>
      <td class="cmd" title={cmd}>{cmd}</td>
    </tr>
  );
}
