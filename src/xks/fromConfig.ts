/**
 * The serve options of external key stores, read once at start: the proxy client this node
 * uses for its own external key stores, and (with --xks-port) the XKS proxy listener it
 * serves for others. A missing or unreadable file is a usage error before anything listens.
 */
import { readFileSync } from "node:fs";
import type { ServeConfig } from "../config.ts";
import type { Services } from "../server/context.ts";
import { XksProxyClient } from "./proxyClient.ts";
import { startXksProxy, type XksProxyListener, type XksProxyUser } from "./proxyServer.ts";

type XksOptions = Pick<
  ServeConfig,
  "host" | "xksPort" | "xksTlsCert" | "xksTlsKey" | "xksClientCa" | "xksProxyUsers" | "xksProxyCa" | "xksProxyConnectTo" | "xksProxyTimeout"
>;

/** The proxy client of this node. */
export function xksClientFromConfig(config: XksOptions): XksProxyClient {
  const connectTo = new Map<string, { host: string; port: number }>();
  for (const pair of config.xksProxyConnectTo?.split(",") ?? []) {
    const [name = "", target = ""] = pair.split("=");
    const colon = target.lastIndexOf(":");
    connectTo.set(name.toLowerCase(), { host: target.slice(0, colon).replace(/^\[|\]$/g, ""), port: Number(target.slice(colon + 1)) });
  }
  return new XksProxyClient({
    ...(config.xksProxyCa ? { extraCa: readFileSync(config.xksProxyCa, "utf8") } : {}),
    connectTo,
    timeoutMs: config.xksProxyTimeout,
  });
}

/** Starts the XKS proxy listener if --xks-port is set. */
export async function startXksProxyFromConfig(config: XksOptions, services: Services, version: string): Promise<XksProxyListener | undefined> {
  if (config.xksPort === undefined) return undefined;
  if (!config.xksTlsCert || !config.xksTlsKey || !config.xksProxyUsers) {
    throw new Error("--xks-port needs --xks-tls-cert, --xks-tls-key and --xks-proxy-users");
  }
  return startXksProxy(services, {
    host: config.host,
    port: config.xksPort,
    cert: readFileSync(config.xksTlsCert, "utf8"),
    key: readFileSync(config.xksTlsKey, "utf8"),
    ...(config.xksClientCa ? { clientCa: readFileSync(config.xksClientCa, "utf8") } : {}),
    users: readProxyUsers(config.xksProxyUsers),
    version,
  });
}

function readProxyUsers(path: string): XksProxyUser[] {
  const parsed = JSON.parse(readFileSync(path, "utf8")) as unknown;
  if (!Array.isArray(parsed)) throw new Error(`${path}: expected a JSON list of proxy users`);
  return parsed.map((entry: unknown, index) => {
    const user = entry as Partial<XksProxyUser>;
    if (typeof user.accessKeyId !== "string" || typeof user.secretAccessKey !== "string") {
      throw new Error(`${path}: proxy user ${index} needs accessKeyId and secretAccessKey`);
    }
    return {
      accessKeyId: user.accessKeyId,
      secretAccessKey: user.secretAccessKey,
      ...(typeof user.accountId === "string" ? { accountId: user.accountId } : {}),
      ...(typeof user.region === "string" ? { region: user.region } : {}),
      ...(user.keys === undefined ? {} : { keys: stringList(user.keys, `${path}: proxy user ${index} keys`) }),
      ...(user.principals === undefined ? {} : { principals: stringList(user.principals, `${path}: proxy user ${index} principals`) }),
    };
  });
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) throw new Error(`${what}: expected a JSON list of strings`);
  return value as string[];
}
