import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { HISTORY_SECONDS, type Sample } from './store';

const CPU_COLOR = '#2f7ed8';
const MEM_COLOR = '#c2410c';

function data(samples: Sample[]): uPlot.AlignedData {
  return [samples.map((s) => s.t), samples.map((s) => s.cpu), samples.map((s) => s.mem)];
}

/** CPU and memory of one node over the last minutes; a figure with a text alternative. */
export function NodeChart({ name, samples, version }: { name: string; samples: Sample[]; version: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(160, el.clientWidth),
      height: 90,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: true, range: (_u, _min, max) => [max - HISTORY_SECONDS, max] },
        y: { range: [0, 100] },
      },
      axes: [
        {
          size: 20, font: '10px system-ui', stroke: 'currentColor', grid: { show: false }, ticks: { show: false },
          values: (_u, splits) => splits.map((t) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
        },
        {
          size: 44, font: '10px system-ui', stroke: 'currentColor', splits: () => [0, 50, 100],
          values: (_u, splits) => splits.map((v) => `${v}%`), grid: { stroke: 'rgba(128,128,128,.2)' },
        },
      ],
      series: [
        {},
        { label: 'CPU %', stroke: CPU_COLOR, width: 1.5, fill: 'rgba(47,126,216,.12)' },
        { label: 'Memory %', stroke: MEM_COLOR, width: 1.5 },
      ],
    };
    plot.current = new uPlot(opts, data(samples), el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(160, el.clientWidth), height: 90 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data(samples));
  }, [version]);

  const last = samples[samples.length - 1];
  return (
    <figure class="chart">
      <div ref={box} aria-hidden="true" />
      <figcaption class="small muted">
        <span class="key" style={{ background: CPU_COLOR }} /> CPU <span class="key" style={{ background: MEM_COLOR }} /> memory,
        last {HISTORY_SECONDS / 60} minutes
        <span class="sr-only">
          {last ? ` for ${name}: now CPU ${last.cpu.toFixed(0)}%, memory ${last.mem.toFixed(0)}%, ${samples.length} samples` : ' (no samples yet)'}
        </span>
      </figcaption>
    </figure>
  );
}
