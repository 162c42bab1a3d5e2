/**
 * The benchmark's results: the JSON shape written to bench/results/<date>.json and its
 * Markdown rendering (printed and written next to it), with each target of issue 7
 * checked against the measured figure.
 */
import type { PostgresComparison, PostgresReport } from "./postgresPhase.ts";

/** One operation on one server, over all rounds. */
export interface Figure {
  /** Median over rounds, requests per second. */
  throughput: number;
  /** Latency over all rounds' requests. */
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Server process (and its descendants) CPU time per completed request. */
  serverCpuUsPerRequest: number;
  /** Cores the server kept busy (CPU seconds per second). */
  serverCores: number;
  /** The load generator's CPU per request. */
  clientCpuUsPerRequest: number;
  /** Cores other processes on the machine used meanwhile (noise). */
  backgroundCores: number;
  completed: number;
  errors: number;
  errorSamples: string[];
  /** Each round's throughput. */
  rounds: number[];
}

export interface OperationRow {
  id: string;
  label: string;
  /** By subject id: kmsd, kmsd-n, kmsd-audit-off, minimal, minimal-n, moto. */
  figures: Record<string, Figure | undefined>;
  raw: { name: string; perCore: number } | undefined;
  ratios: {
    /** kmsd / minimal server (median of per-round ratios). */
    minimal: number | undefined;
    /** kmsd (1 worker) / raw node:crypto on one core. */
    rawPerCore: number | undefined;
    moto: number | undefined;
    /** kmsd N workers / kmsd 1 worker. */
    workers: number | undefined;
    /** kmsd N workers / minimal server ×N. */
    workersVsMinimal: number | undefined;
    /** audit off / audit on. */
    auditOff: number | undefined;
  };
}

export interface HalfLoadRow {
  operation: string;
  subject: string;
  subjectId: string;
  saturating: number;
  rate: number;
  achieved: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Each round's p99 (the figures above are medians of the rounds). */
  p99RoundsMs: number[];
  serverCores: number;
  /** Cores other processes used meanwhile. */
  backgroundCores: number;
  errors: number;
}

export interface ScaleReport {
  keysRequested: number;
  keysCreated: number;
  keysListed: number;
  createKey: { perSecond: number; seconds: number; concurrency: number; p99Ms: number; serverCpuUsPerRequest: number; errors: number };
  rssBeforeRestartMiB: number;
  restart: { answeredMs: number; listeningMs: number; rssIdleMiB: number; rssAfterLoadMiB: number };
  coldEncrypt: { keys: number; perSecond: number; p99Ms: number };
  spreadEncrypt: { keys: number; perSecond: number; p99Ms: number; smallStorePerSecond: number; ratio: number };
  mixed: { perSecond: number; p99Ms: number; smallStorePerSecond: number; ratio: number };
  boundedCache: { keyCacheSize: number; answeredMs: number; rssIdleMiB: number; rssAfterLoadMiB: number; spreadEncryptPerSecond: number; p99Ms: number };
  smallStoreEncryptSingleKey: number | undefined;
}

export interface BenchReport {
  date: string;
  quick: boolean;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; openssl: string; loadAverageAtEnd: number[] };
  git: string | null;
  config: { rounds: number; durationMs: number; warmupMs: number; concurrency: number; threads: number; pool: number; halfLoadMs: number; workers: number | null };
  kmsd: { workersOption: boolean; auditOffArgs: string[] | null; auditOptions: string[] };
  moto: string | null;
  subjects: { id: string; label: string }[];
  raw: Record<string, number>;
  operations: OperationRow[];
  halfLoad: HalfLoadRow[];
  scale: ScaleReport | null;
  /** The PostgreSQL figures (issue 12); null when not measured (older results too). */
  postgres?: PostgresReport | null;
  notes: string[];
}

const dash = "–";

function int(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? dash : Math.round(value).toLocaleString("en-US");
}

function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return dash;
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function times(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return dash;
  return value < 10 ? `${value.toFixed(2)}×` : `${value.toFixed(0)}×`;
}

function table(header: string[], rows: string[][], rightFrom = 1): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => (column < rightFrom ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(" | ")} |`;
  return [line(header), `|${widths.map((width, column) => (column < rightFrom ? "-".repeat(width + 2) : `${"-".repeat(width + 1)}:`)).join("|")}|`, ...rows.map(line)];
}

interface TargetCheck {
  target: string;
  measured: string;
  goal: string;
  met: boolean | undefined;
}

/** Issue 7's targets against this run's figures. */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const row = (id: string) => report.operations.find((operation) => operation.id === id);
  const verdict = (value: number | undefined, ok: (value: number) => boolean) => (value === undefined || !Number.isFinite(value) ? undefined : ok(value));
  for (const id of ["encrypt-32", "decrypt", "generate-data-key"]) {
    const operation = row(id);
    if (!operation) continue;
    checks.push({ target: `${operation.label}: kmsd / minimal server, 1 worker`, measured: times(operation.ratios.minimal), goal: "≥ 0.75×", met: verdict(operation.ratios.minimal, (v) => v >= 0.75) });
    if (report.kmsd.workersOption) {
      checks.push({
        target: `${operation.label}: kmsd / minimal server, ${report.config.workers} workers each`,
        measured: times(operation.ratios.workersVsMinimal),
        goal: "≥ 0.75×",
        met: verdict(operation.ratios.workersVsMinimal, (v) => v >= 0.75),
      });
    }
  }
  if (!report.kmsd.workersOption) checks.push({ target: "Encrypt/Decrypt/GenerateDataKey at all cores", measured: "no --workers in this build", goal: "≥ 0.75×", met: undefined });
  // The targets are for kmsd with every feature on; the audit-off run is there to show what the audit costs.
  for (const half of report.halfLoad.filter((entry) => entry.subjectId === "kmsd" || entry.subjectId === "kmsd-n")) {
    checks.push({ target: `${half.operation}: p99 at 50% of saturation (${half.subject}, ${int(half.rate)}/s)`, measured: `${ms(half.p99Ms)} ms`, goal: "< 5 ms", met: half.p99Ms < 5 });
  }
  for (const id of ["sign-rsa", "verify-rsa", "sign-ecc", "verify-ecc"]) {
    const operation = row(id);
    if (!operation) continue;
    checks.push({ target: `${operation.label}: kmsd / raw node:crypto per core`, measured: times(operation.ratios.rawPerCore), goal: "≥ 0.80×", met: verdict(operation.ratios.rawPerCore, (v) => v >= 0.8) });
  }
  const createKey = row("create-key")?.figures.kmsd?.throughput;
  if (createKey !== undefined) checks.push({ target: "CreateKey per second (closed loop)", measured: int(createKey), goal: "≥ 1,000/s", met: createKey >= 1000 });
  const scale = report.scale;
  if (scale) {
    checks.push({ target: `CreateKey per second, ${int(scale.keysCreated)} keys at concurrency ${scale.createKey.concurrency}`, measured: int(scale.createKey.perSecond), goal: "≥ 1,000/s", met: scale.createKey.perSecond >= 1000 });
    checks.push({ target: `Start-up with ${int(scale.keysCreated)} keys (spawn → first answer)`, measured: `${int(scale.restart.answeredMs)} ms`, goal: "< 1,000 ms", met: scale.restart.answeredMs < 1000 });
    checks.push({
      target: `RSS with ${int(scale.keysCreated)} keys: idle / after load (cache default) / after load (cache ${int(scale.boundedCache.keyCacheSize)})`,
      measured: `${int(scale.restart.rssIdleMiB)} / ${int(scale.restart.rssAfterLoadMiB)} / ${int(scale.boundedCache.rssAfterLoadMiB)} MiB`,
      goal: "bounded by the cache size",
      met: undefined,
    });
    checks.push({ target: `Encrypt over ${int(scale.spreadEncrypt.keys)} of ${int(scale.keysCreated)} keys / small store`, measured: times(scale.spreadEncrypt.ratio), goal: "unchanged (≥ 0.90×)", met: verdict(scale.spreadEncrypt.ratio, (v) => v >= 0.9) });
    checks.push({ target: `Mixed over 1,000 of ${int(scale.keysCreated)} keys / small store`, measured: times(scale.mixed.ratio), goal: "unchanged (≥ 0.90×)", met: verdict(scale.mixed.ratio, (v) => v >= 0.9) });
  }
  const motoRatios = report.operations.map((operation) => ({ label: operation.label, ratio: operation.ratios.moto })).filter((entry) => entry.ratio !== undefined);
  if (motoRatios.length > 0) {
    const worst = motoRatios.reduce((a, b) => ((a.ratio as number) <= (b.ratio as number) ? a : b));
    checks.push({ target: `kmsd / moto, every shared operation (lowest: ${worst.label})`, measured: times(worst.ratio), goal: "≥ 20×", met: (worst.ratio as number) >= 20 });
  } else {
    checks.push({ target: "kmsd / moto", measured: report.moto ? "no figures" : "moto not run", goal: "≥ 20×", met: undefined });
  }
  return checks;
}

export function renderMarkdown(report: BenchReport): string {
  const out: string[] = [];
  const has = (id: string) => report.subjects.some((subject) => subject.id === id);
  const workers = report.config.workers;
  out.push(`# kmsd benchmark — ${report.date}${report.quick ? " (quick)" : ""}`);
  out.push("");
  out.push(
    `${report.machine.cpus} CPUs (${report.machine.cpuModel}), ${report.machine.memoryGiB} GiB, Node ${report.machine.node}, OpenSSL ${report.machine.openssl}; kmsd ${report.git ?? "(no git)"}. ` +
      `${report.config.rounds} round(s) × ${report.config.durationMs / 1000} s per figure after ${report.config.warmupMs / 1000} s warm-up, ${report.config.concurrency} requests in flight per server process, ` +
      `${report.config.threads} load thread(s), ${report.config.pool} distinct pre-signed requests per operation. Whole run: ${report.durationSeconds} s.`,
  );
  out.push("");
  out.push(
    "Throughput is the median of the rounds; latencies are over every request of the rounds; ratios are medians of per-round ratios between servers measured back to back. " +
      "Compare ratios, not absolute numbers: they vary from machine to machine and run to run.",
  );
  out.push("");
  // A run with --postgres-only measured no operation table: its report is the PostgreSQL section.
  if (report.operations.length === 0 && report.postgres) {
    out.push(...postgresSection(report.postgres), "", "## Notes", "", `- Load average at the end: ${report.machine.loadAverageAtEnd.join(", ")}.`);
    for (const line of report.notes) out.push(`- ${line}`);
    return out.join("\n");
  }

  // Main table.
  const header = ["Operation", "kmsd ops/s", "p50 ms", "p99 ms", "p99.9 ms", "CPU µs/req", "cores"];
  if (has("minimal")) header.push("÷ minimal");
  header.push("÷ raw/core");
  if (has("moto")) header.push("÷ moto");
  if (has("kmsd-n")) header.push(`${workers} workers ops/s`, `${workers}/1`);
  if (has("kmsd-audit-off")) header.push("audit off/on");
  const rows = report.operations.map((operation) => {
    const kmsd = operation.figures.kmsd;
    const cells = [operation.label + (kmsd?.errors ? ` (${kmsd.errors} errors)` : ""), int(kmsd?.throughput), ms(kmsd?.p50Ms), ms(kmsd?.p99Ms), ms(kmsd?.p999Ms), int(kmsd?.serverCpuUsPerRequest), kmsd ? kmsd.serverCores.toFixed(2) : dash];
    if (has("minimal")) cells.push(times(operation.ratios.minimal));
    cells.push(times(operation.ratios.rawPerCore));
    if (has("moto")) cells.push(times(operation.ratios.moto));
    if (has("kmsd-n")) cells.push(int(operation.figures["kmsd-n"]?.throughput), times(operation.ratios.workers));
    if (has("kmsd-audit-off")) cells.push(times(operation.ratios.auditOff));
    return cells;
  });
  out.push("## kmsd, every feature on (authentication, authorization, audit), 1 worker");
  out.push("");
  out.push(...table(header, rows));
  out.push("");
  out.push(
    "CPU µs/req: CPU time of the server process (all its threads) per request, from /proc; cores: CPU seconds it used per second (1.00 = one core busy). ÷ minimal: kmsd / the minimal server (baseline 1). ÷ raw/core: kmsd / the raw node:crypto operation on one core (baseline 2). ÷ moto: kmsd / moto (baseline 3).",
  );
  out.push("");

  // Baselines.
  const baselineHeader = ["Operation", "minimal ops/s", "minimal p99 ms", "minimal CPU µs/req", "raw op (node:crypto, 1 core)", "raw ops/s", "moto ops/s", "moto p99 ms"];
  if (has("minimal-n")) baselineHeader.splice(4, 0, `minimal ×${workers} ops/s`);
  const baselineRows = report.operations.map((operation) => {
    const minimal = operation.figures.minimal;
    const moto = operation.figures.moto;
    const cells = [operation.label, int(minimal?.throughput), ms(minimal?.p99Ms), int(minimal?.serverCpuUsPerRequest), operation.raw?.name ?? dash, int(operation.raw?.perCore), int(moto?.throughput), ms(moto?.p99Ms)];
    if (has("minimal-n")) cells.splice(4, 0, int(operation.figures["minimal-n"]?.throughput));
    return cells;
  });
  out.push("## Baselines, same run");
  out.push("");
  out.push(...table(baselineHeader, baselineRows));
  out.push("");

  if (report.halfLoad.length > 0) {
    out.push("## Latency at half the saturating load (open loop, fixed rate)");
    out.push("");
    out.push(
      "Requests start on a fixed schedule at 50% of the server's closed-loop throughput above; latency counts from the scheduled start. Medians of the rounds. " +
        "A stall of the machine (other processes' cores, last column) shows up here first.",
    );
    out.push("");
    out.push(
      ...table(
        ["Operation", "Server", "saturation ops/s", "offered ops/s", "achieved ops/s", "p50 ms", "p99 ms", "p99.9 ms", "server cores", "other processes' cores"],
        report.halfLoad.map((half) => [
          half.operation,
          half.subject,
          int(half.saturating),
          int(half.rate),
          int(half.achieved),
          ms(half.p50Ms),
          ms(half.p99Ms),
          ms(half.p999Ms),
          half.serverCores.toFixed(2),
          (half.backgroundCores ?? Number.NaN).toFixed(2),
        ]),
        2,
      ),
    );
    out.push("");
  }

  const scale = report.scale;
  if (scale) {
    out.push(`## Scale: ${int(scale.keysCreated)} keys`);
    out.push("");
    out.push(
      ...table(
        ["Measure", "Value"],
        [
          [`CreateKey, ${scale.createKey.concurrency} in flight`, `${int(scale.createKey.perSecond)}/s (${scale.createKey.seconds} s, p99 ${ms(scale.createKey.p99Ms)} ms, ${int(scale.createKey.serverCpuUsPerRequest)} µs CPU/key)`],
          ["Restart: spawn → first answer", `${int(scale.restart.answeredMs)} ms (listening logged at ${int(scale.restart.listeningMs)} ms)`],
          ["RSS: before restart / idle after restart / after load", `${int(scale.rssBeforeRestartMiB)} / ${int(scale.restart.rssIdleMiB)} / ${int(scale.restart.rssAfterLoadMiB)} MiB`],
          [`Encrypt 32 B over ${int(scale.coldEncrypt.keys)} keys, first touch (cold cache)`, `${int(scale.coldEncrypt.perSecond)}/s, p99 ${ms(scale.coldEncrypt.p99Ms)} ms`],
          [`Encrypt 32 B over ${int(scale.spreadEncrypt.keys)} keys, warm`, `${int(scale.spreadEncrypt.perSecond)}/s, p99 ${ms(scale.spreadEncrypt.p99Ms)} ms`],
          ["… same load on the small store (1 key), interleaved", `${int(scale.spreadEncrypt.smallStorePerSecond)}/s → ratio ${times(scale.spreadEncrypt.ratio)}`],
          ["Mixed 70/20/10 over 1,000 keys of the big store", `${int(scale.mixed.perSecond)}/s, p99 ${ms(scale.mixed.p99Ms)} ms`],
          ["… same on the small store, interleaved", `${int(scale.mixed.smallStorePerSecond)}/s → ratio ${times(scale.mixed.ratio)}`],
          [`--key-cache-size ${int(scale.boundedCache.keyCacheSize)}: start-up`, `${int(scale.boundedCache.answeredMs)} ms`],
          [`--key-cache-size ${int(scale.boundedCache.keyCacheSize)}: RSS idle / after load`, `${int(scale.boundedCache.rssIdleMiB)} / ${int(scale.boundedCache.rssAfterLoadMiB)} MiB`],
          [`--key-cache-size ${int(scale.boundedCache.keyCacheSize)}: Encrypt over ${int(scale.spreadEncrypt.keys)} keys (misses)`, `${int(scale.boundedCache.spreadEncryptPerSecond)}/s, p99 ${ms(scale.boundedCache.p99Ms)} ms`],
        ],
        2,
      ),
    );
    out.push("");
  }

  if (report.postgres) out.push(...postgresSection(report.postgres), "");

  out.push("## Targets (issue 7)");
  out.push("");
  out.push(
    ...table(
      ["Target", "Measured", "Goal", "Met"],
      checkTargets(report).map((check) => [check.target, check.measured, check.goal, check.met === undefined ? dash : check.met ? "yes" : "**no**"]),
      1,
    ),
  );
  out.push("");

  const background = report.operations.flatMap((operation) => Object.values(operation.figures).map((figure) => figure?.backgroundCores ?? 0));
  const busiest = background.length > 0 ? Math.max(...background) : 0;
  const clientCpu = report.operations.map((operation) => operation.figures.kmsd?.clientCpuUsPerRequest).filter((value): value is number => value !== undefined);
  out.push("## Notes");
  out.push("");
  out.push(
    `- Other processes on the machine used up to ${busiest.toFixed(2)} cores during a measurement (median per figure in the JSON, \`backgroundCores\`); load average at the end: ${report.machine.loadAverageAtEnd.join(", ")}.`,
  );
  if (clientCpu.length > 0) out.push(`- The load generator used ${int(Math.min(...clientCpu))}–${int(Math.max(...clientCpu))} µs of CPU per kmsd request, on the same machine.`);
  out.push(`- kmsd --workers: ${report.kmsd.workersOption ? `yes, measured with ${workers}` : "not available in this build"}; audit switch: ${report.kmsd.auditOffArgs ? report.kmsd.auditOffArgs.join(" ") : "not available in this build"}; moto: ${report.moto ?? "not run"}.`);
  for (const operation of report.operations) {
    for (const [id, figure] of Object.entries(operation.figures)) {
      if (figure && figure.errors > 0) out.push(`- ${operation.label} on ${id}: ${figure.errors} errors, e.g. ${figure.errorSamples[0] ?? "?"}`);
    }
  }
  for (const line of report.notes) out.push(`- ${line}`);
  return out.join("\n");
}

/** Issue 12's PostgreSQL figures: each comparison's two sides, their ratio, and where the cores went. */
function postgresSection(report: PostgresReport): string[] {
  const side = (label: string, figure: PostgresComparison["a"]) => [label, int(figure.throughput), figure.kmsdCores.toFixed(2), figure.machineCores.toFixed(2), int(figure.errors)];
  const rows = (title: string, comparison: PostgresComparison, a: string, b: string, goal: string, met: boolean | undefined) => [
    side(`${title}: ${a}`, comparison.a),
    side(`${title}: ${b}`, comparison.b),
    [`${title}: ${a} ÷ ${b} (rounds ${comparison.ratioRounds.map((value) => value.toFixed(2)).join(", ")})`, times(comparison.ratio), goal, met === undefined ? dash : met ? "met" : "**not met**", ""],
  ];
  const verdict = (value: number, ok: (value: number) => boolean) => (Number.isFinite(value) ? ok(value) : undefined);
  return [
    "## PostgreSQL (issue 12)",
    "",
    `kmsd on a throwaway PostgreSQL of this machine's binaries with fsync on (durable, as deployed), ${report.workers} worker(s) per node, against the SQLite kmsd above with as many; ` +
      `${report.rounds} rounds per figure, alternating which side goes first; ratios are medians of per-round ratios. One node gets twice the requests in flight of each of the two. ` +
      "*kmsd cores*: the kmsd processes' CPU seconds per second; *machine cores*: everything on the machine meanwhile (PostgreSQL, the load generator and other processes included).",
    "",
    ...table(
      ["Figure", "ops/s or ratio", "kmsd cores or goal", "machine cores or met", "errors"],
      [
        ...rows("Encrypt 32 B", report.encrypt, "PostgreSQL", "SQLite", "≥ 0.95×", verdict(report.encrypt.ratio, (v) => v >= 0.95)),
        ...rows("CreateKey (durable)", report.createKey, "PostgreSQL", "SQLite", "PostgreSQL ≥ 500/s", verdict(report.createKey.a.throughput, (v) => v >= 500)),
        ...rows("Encrypt 32 B", report.twoNodesEncrypt, "two nodes", "one node", "reported", undefined),
        ...rows("CreateKey (durable)", report.twoNodesCreateKey, "two nodes", "one node", "reported", undefined),
      ],
      1,
    ),
  ];
}
