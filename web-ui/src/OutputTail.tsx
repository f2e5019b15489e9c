import { useEffect, useRef, useState } from 'preact/hooks';
import { follow, type StreamStatus } from './api';
import type { OutputChunk, ProcessInfo } from './model';

const KEEP_CHARS = 64 * 1024;

interface Segment {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** The newest output of a process, followed live while it runs. */
export function OutputTail({ p }: { p: ProcessInfo }) {
  const [segments, setSegments] = useState<Segment[]>([]);
  const [status, setStatus] = useState<StreamStatus | 'waiting'>('waiting');
  const [problem, setProblem] = useState('');
  const pre = useRef<HTMLPreElement>(null);
  const pinned = useRef(true);
  const started = p.localPid > 0 || p.state === 'EXITED';
  // What was shown so far; a process restarted from a checkpoint writes on at the same offsets.
  const read = useRef({ stdout: 0, stderr: 0 });
  const decoders = useRef({ stdout: new TextDecoder(), stderr: new TextDecoder() });
  // Counts the times the process came back to life (a restart), so that an ended stream is followed again.
  const runs = useRef({ last: p.state, count: 0 });
  if (p.state === 'RUNNING' && (runs.current.last === 'EXITED' || runs.current.last === 'FAILED')) {
    runs.current.count++;
  }
  runs.current.last = p.state;

  useEffect(() => {
    if (!started) {
      return;
    }
    const offsets = read.current;
    return follow<OutputChunk>({
      path: () => `api/v1/processes/${p.gpid}/output/stream?stdoutOffset=${offsets.stdout}&stderrOffset=${offsets.stderr}`,
      reconnectOnEnd: false,
      onEvent: (chunk) => {
        const raw = Uint8Array.from(atob(chunk.data), (c) => c.charCodeAt(0));
        if (chunk.offset + raw.length <= offsets[chunk.stream]) {
          return; // already shown (a resumed stream may repeat)
        }
        offsets[chunk.stream] = chunk.offset + raw.length;
        const text = decoders.current[chunk.stream].decode(raw, { stream: true });
        setSegments((old) => trim([...old, { stream: chunk.stream, text }]));
      },
      onStatus: (s, message) => {
        setStatus(s);
        if (message) {
          setProblem(message);
        }
      },
    });
  }, [p.gpid, started, runs.current.count]);

  useEffect(() => {
    const el = pre.current;
    if (el && pinned.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [segments]);

  const label = {
    waiting: 'waiting for the process to start', connecting: 'connecting…', live: 'following',
    reconnecting: 'reconnecting…', ended: 'complete', failed: 'unavailable',
  }[status];

  return (
    <div class="card output">
      <div class="card-head">
        <h2 id="output-title">Output</h2>
        <span class="muted small" data-testid="output-status">{label}</span>
      </div>
      {problem && <p class="error" role="alert">{problem}</p>}
      <pre ref={pre} role="log" aria-labelledby="output-title" tabIndex={0} data-testid="output"
        onScroll={(e) => {
          const el = e.currentTarget;
          pinned.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
        }}>
        {segments.length === 0 ? <span class="muted">(no output yet)</span>
          : segments.map((s, i) => <span key={i} class={s.stream === 'stderr' ? 'stderr' : undefined}>{s.text}</span>)}
      </pre>
    </div>
  );
}

function trim(segments: Segment[]): Segment[] {
  let total = segments.reduce((n, s) => n + s.text.length, 0);
  while (total > KEEP_CHARS && segments.length > 1) {
    total -= segments[0].text.length;
    segments.shift();
  }
  if (total > KEEP_CHARS) {
    segments[0] = { stream: segments[0].stream, text: segments[0].text.slice(total - KEEP_CHARS) };
  }
  // Merge neighbours of the same stream so the list stays short.
  const out: Segment[] = [];
  for (const s of segments) {
    const last = out[out.length - 1];
    if (last && last.stream === s.stream) {
      out[out.length - 1] = { stream: s.stream, text: last.text + s.text };
    } else {
      out.push(s);
    }
  }
  return out;
}
