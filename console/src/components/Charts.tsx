/**
 * Charts drawn by uPlot (MIT, no dependencies, canvas): series over time, and totals by name.
 * A canvas says nothing to a screen reader, so every chart is an image whose label carries
 * its numbers, followed by the same numbers as a table (closed by default).
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

/** One total by name. */
export interface Bar {
  label: string;
  value: number;
}

/** Counts over time: the start of each interval (ms) and, per name, one count per interval. */
export interface TimeSeries {
  times: number[];
  series: { label: string; values: number[] }[];
}

/** Dark enough to read as text on white (WCAG AA), distinct enough to tell lines apart. */
const COLORS = ["#0b5cad", "#a4161a", "#1d6b35", "#7a4b00", "#6a1b9a", "#00695c", "#37474f", "#ad1457"];
const WIDTH = 720;
const AXIS_FONT = "12px system-ui, sans-serif";

/** Mounts a uPlot chart into a div, rebuilt only when what it shows (`signature`) changes, not at every render. */
function UPlot({ options, data, signature }: { options: Omit<uPlot.Options, "width">; data: uPlot.AlignedData; signature: string }) {
  const mount = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!mount.current) return undefined;
    const chart = new uPlot({ ...options, width: WIDTH }, data, mount.current);
    return () => chart.destroy();
  }, [signature]);
  return <div ref={mount} class="uplot-mount" />;
}

/** The figure every chart shares: the chart as a labelled image, its caption, and its numbers as a table. */
function ChartFigure({ title, summary, caption, table, children }: { title: string; summary: string; caption?: string; table: ComponentChildren; children: ComponentChildren }) {
  return (
    <figure class="chart">
      <div role="img" aria-label={`${title}: ${summary}`}>
        {children}
      </div>
      <figcaption>{caption ?? title}</figcaption>
      <details>
        <summary>{title} as a table</summary>
        {table}
      </details>
    </figure>
  );
}

/** A label short enough for an axis: the end of a long one (a key ARN's key id). */
function axisLabel(label: string): string {
  return label.length > 28 ? `…${label.slice(-27)}` : label;
}

/** Lines over time, one per name, with a legend; `unit` names what is counted ("requests"). */
export function TimeChart({ title, data, unit }: { title: string; data: TimeSeries; unit: string }) {
  const options: Omit<uPlot.Options, "width"> = {
    height: 220,
    cursor: { show: false },
    legend: { show: true, live: false },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
    axes: [
      { font: AXIS_FONT, stroke: "#1b1f24" },
      { font: AXIS_FONT, stroke: "#1b1f24", label: unit, labelFont: AXIS_FONT },
    ],
    series: [
      { label: "Time" },
      ...data.series.map((series, index) => ({
        label: axisLabel(series.label),
        stroke: COLORS[index % COLORS.length],
        width: 2,
        points: { show: true, size: 5 },
      })),
    ],
  };
  const aligned: uPlot.AlignedData = [data.times.map((ms) => ms / 1000), ...data.series.map((series) => series.values)];
  const total = (values: number[]) => values.reduce((sum, value) => sum + value, 0);
  const summary = data.series.map((series) => `${series.label} ${total(series.values)}`).join(", ") || `no ${unit}`;
  return (
    <ChartFigure
      title={title}
      summary={summary}
      table={
        <table>
          <caption class="visually-hidden">{title}</caption>
          <thead>
            <tr><th scope="col">Interval (UTC)</th>{data.series.map((series) => <th scope="col" key={series.label}>{series.label}</th>)}</tr>
          </thead>
          <tbody>
            {data.times.map((ms, row) => (
              <tr key={ms}>
                <th scope="row">{new Date(ms).toISOString().slice(0, 16).replace("T", " ")}</th>
                {data.series.map((series) => <td key={series.label}>{series.values[row] ?? 0}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      <UPlot options={options} data={aligned} signature={JSON.stringify([title, data])} />
    </ChartFigure>
  );
}

/**
 * Horizontal bars, largest first; only the `limit` largest when given. `format` writes a
 * value (counts by default; the cost chart writes dollars).
 */
export function NamedBars({ title, bars, limit, format = String }: { title: string; bars: Bar[]; limit?: number; format?: (value: number) => string }) {
  const sorted = [...bars].sort((a, b) => b.value - a.value).slice(0, limit);
  const labels = sorted.map((bar) => bar.label);
  const max = Math.max(0, ...sorted.map((bar) => bar.value));
  const options: Omit<uPlot.Options, "width"> = {
    height: Math.max(80, sorted.length * 28 + 50),
    cursor: { show: false },
    legend: { show: false },
    // Bars lie along a vertical category scale, the first (largest) at the top.
    scales: { x: { time: false, ori: 1, dir: -1, range: [-0.5, Math.max(0, sorted.length - 0.5)] }, y: { ori: 0, dir: 1, range: [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      {
        scale: "x",
        side: 3,
        size: 230,
        font: AXIS_FONT,
        stroke: "#1b1f24",
        grid: { show: false },
        splits: () => labels.map((_label, index) => index),
        values: (_u, splits) => splits.map((index) => axisLabel(labels[index] ?? "")),
      },
      { scale: "y", side: 2, font: AXIS_FONT, stroke: "#1b1f24", values: (_u, splits) => splits.map((value) => format(value)) },
    ],
    series: [{}, { label: title, fill: COLORS[0], stroke: COLORS[0], paths: uPlot.paths.bars?.({ size: [0.7, 24] }), points: { show: false } }],
  };
  const data: uPlot.AlignedData = [labels.map((_label, index) => index), sorted.map((bar) => bar.value)];
  const caption = `${title}${limit !== undefined && bars.length > limit ? ` (the ${limit} largest of ${bars.length})` : ""}`;
  return (
    <ChartFigure
      title={title}
      summary={sorted.map((bar) => `${bar.label} ${format(bar.value)}`).join(", ")}
      caption={caption}
      table={
        <table>
          <caption class="visually-hidden">{title}</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Value</th></tr></thead>
          <tbody>
            {sorted.map((bar) => (
              <tr key={bar.label}><th scope="row">{bar.label}</th><td>{format(bar.value)}</td></tr>
            ))}
          </tbody>
        </table>
      }
    >
      <UPlot options={options} data={data} signature={JSON.stringify([title, sorted])} />
    </ChartFigure>
  );
}
