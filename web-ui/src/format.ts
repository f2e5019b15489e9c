export function bytes(n: number | undefined | null): string {
  if (n == null) {
    return '–';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export function percent(n: number | undefined | null): string {
  return n == null ? '–' : `${n.toFixed(1)}`;
}

/** "42s", "3:07", "2:03:07", "4d 2h". */
export function duration(ms: number | null): string {
  if (ms == null || !Number.isFinite(ms) || ms < 0) {
    return '–';
  }
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) {
    return `${d}d ${h}h`;
  }
  if (h > 0) {
    return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  }
  return m > 0 ? `${m}:${String(sec).padStart(2, '0')}` : `${sec}s`;
}

export function time(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '–';
}

/** A shell-like rendering of argv for display (never run). */
export function command(argv: string[] | undefined): string {
  return (argv ?? []).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
