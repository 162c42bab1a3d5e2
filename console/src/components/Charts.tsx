/**
 * Two hand-drawn SVG charts (no chart library needed for bars): counts over time, and counts
 * by name. Each is an image whose text alternative carries its numbers.
 */

/** One bar. */
export interface Bar {
  label: string;
  value: number;
}

/** Vertical bars over time buckets, labelled at the first, middle and last bucket. */
export function TimeBars({ title, bars }: { title: string; bars: Bar[] }) {
  const width = 720;
  const height = 180;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const step = bars.length ? width / bars.length : width;
  const labelled = new Set([0, Math.floor(bars.length / 2), bars.length - 1]);
  return (
    <figure class="chart">
      <svg role="img" aria-label={`${title}: ${bars.reduce((sum, bar) => sum + bar.value, 0)} requests, at most ${max} in one interval`} viewBox={`0 0 ${width} ${height + 30}`}>
        <line x1={0} y1={height} x2={width} y2={height} class="axis" />
        {bars.map((bar, index) => {
          const barHeight = (bar.value / max) * (height - 10);
          return (
            <g key={bar.label}>
              <rect x={index * step + 1} y={height - barHeight} width={Math.max(1, step - 2)} height={barHeight} class="bar">
                <title>{`${bar.label}: ${bar.value}`}</title>
              </rect>
              {labelled.has(index) ? <text x={index * step} y={height + 20} class="tick">{bar.label}</text> : null}
            </g>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

/** Horizontal bars, largest first, with their counts; only the `limit` largest when given. */
export function NamedBars({ title, bars, limit }: { title: string; bars: Bar[]; limit?: number }) {
  const sorted = [...bars].sort((a, b) => b.value - a.value).slice(0, limit);
  const max = Math.max(1, ...sorted.map((bar) => bar.value));
  const rowHeight = 22;
  return (
    <figure class="chart">
      <svg role="img" aria-label={`${title}: ${sorted.map((bar) => `${bar.label} ${bar.value}`).join(", ")}`} viewBox={`0 0 720 ${sorted.length * rowHeight + 4}`}>
        {sorted.map((bar, index) => (
          <g key={bar.label}>
            <text x={0} y={index * rowHeight + 15} class="tick">{bar.label.length > 44 ? `…${bar.label.slice(-43)}` : bar.label}</text>
            <rect x={330} y={index * rowHeight + 3} width={(bar.value / max) * 340} height={rowHeight - 6} class="bar" />
            <text x={336 + (bar.value / max) * 340} y={index * rowHeight + 15} class="tick">{bar.value}</text>
          </g>
        ))}
      </svg>
      <figcaption>{title}{limit !== undefined && bars.length > limit ? ` (the ${limit} largest of ${bars.length})` : ""}</figcaption>
    </figure>
  );
}
