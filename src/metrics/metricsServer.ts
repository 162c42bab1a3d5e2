/**
 * The metrics listener of `--metrics-port`: `GET /metrics` in Prometheus's text format, on
 * an address of its own (127.0.0.1 unless `--metrics-host` says otherwise), apart from the
 * API so that it can be firewalled apart and is never audited. With one process it reads
 * this process's registry; the primary of `--workers N` asks every worker for theirs and
 * answers their sum (prom-client's AggregatorRegistry over the cluster's IPC).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AggregatorRegistry } from "prom-client";
import { log } from "../server/log.ts";
import { metricsRegistry } from "./metrics.ts";

/** A listening metrics server. */
export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the metrics listener on host:port (0 picks a free port; the log line names it).
 * `fromWorkers`: this is the primary of several workers, and the figures are theirs.
 */
export async function startMetricsListener(host: string, port: number, fromWorkers: boolean): Promise<MetricsListener> {
  const exposition = metricsSource(fromWorkers);
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found: metrics are at GET /metrics\n");
      return;
    }
    exposition.read().then(
      (text) => res.writeHead(200, { "content-type": exposition.contentType }).end(text),
      (error: unknown) => {
        log.error("metrics not collected", { error: String(error) });
        res.writeHead(503, { "content-type": "text/plain" }).end("Metrics could not be collected\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}/metrics`;
  log.info(`metrics on ${url}`, { metricsUrl: url });
  return {
    url,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Where the text comes from: this process, or (in the primary of several workers) all the workers, summed. */
function metricsSource(fromWorkers: boolean): { contentType: string; read(): Promise<string> } {
  if (fromWorkers) {
    const aggregator = new AggregatorRegistry();
    return { contentType: aggregator.contentType, read: () => aggregator.clusterMetrics() };
  }
  return { contentType: metricsRegistry.contentType, read: () => metricsRegistry.metrics() };
}
