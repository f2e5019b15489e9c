/** A horizontal meter 0–100 with a visible figure; exposed to assistive technology as a meter. */
export function Bar({ label, short, value, text }: { label: string; short: string; value: number; text: string }) {
  const v = Math.max(0, Math.min(100, value));
  const level = v >= 90 ? 'high' : v >= 70 ? 'mid' : 'low';
  return (
    <div class="bar-row">
      <span class="bar-label">{short}</span>
      <div class={`bar bar-${level}`} role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100}
        aria-valuenow={Math.round(v)} aria-valuetext={text}>
        <div class="bar-fill" style={{ width: `${v}%` }} />
      </div>
      <span class="bar-text">{text}</span>
    </div>
  );
}
