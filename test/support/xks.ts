/**
 * Test support for external key stores: a self-signed TLS certificate for a proxy host
 * name (openssl), a free loopback port, a kmsd started as an XKS proxy ("B") whose
 * proxy users and certificate the test chose, a kmsd ("A") that keeps external key stores
 * on it, and the two started together (`XksNodes`).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startKmsd, type Kmsd } from "./kmsd.ts";

/** The host name the proxy's certificate names; tests map it to 127.0.0.1 with --xks-proxy-connect-to. */
export const PROXY_HOST = "xks.kmsd.test";

/** A proxy user's credential, as the XKS proxy API's pattern wants it. */
export const PROXY_USER = {
  accessKeyId: "XKSPROXYUSERAAAAAAAAAA2",
  secretAccessKey: "kmsdTestProxySecretKey0123456789abcdefghijklmn",
} as const;

/** Files of a proxy's TLS identity. */
export interface ProxyTls {
  dir: string;
  certFile: string;
  keyFile: string;
  cert: string;
}

/** A fresh self-signed certificate (its own CA) for PROXY_HOST. */
export function makeProxyTls(): ProxyTls {
  const dir = mkdtempSync(join(tmpdir(), "kmsd-xks-tls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", `/CN=${PROXY_HOST}`,
    "-addext", `subjectAltName=DNS:${PROXY_HOST}`,
  ], { stdio: "ignore" });
  return { dir, certFile, keyFile, cert: execFileSync("cat", [certFile], { encoding: "utf8" }) };
}

/** A loopback port free right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts kmsd B serving the XKS proxy API on `port` (restart it on the same data directory with `dataDir`) to `users`. */
export async function startProxyKmsd(tls: ProxyTls, port: number, dataDir?: string, users: readonly object[] = [PROXY_USER]): Promise<Kmsd> {
  const usersFile = join(tls.dir, "proxy-users.json");
  writeFileSync(usersFile, JSON.stringify(users));
  return startKmsd({
    ...(dataDir === undefined ? {} : { dataDir }),
    args: ["--xks-port", String(port), "--xks-tls-cert", tls.certFile, "--xks-tls-key", tls.keyFile, "--xks-proxy-users", usersFile],
  });
}

/**
 * How long kmsd A waits for the proxy in tests. AWS's 250 ms (kmsd's default) is ample for a
 * proxy on loopback, but not on a machine that several test suites keep busy.
 */
export const TEST_PROXY_TIMEOUT_MS = 5000;

/** Starts kmsd A, which trusts the proxy's certificate and reaches PROXY_HOST at the proxy's port (on `dataDir`, `--dev`, if given). */
export async function startStoreKmsd(tls: ProxyTls, port: number, options: { dataDir?: string; dev?: boolean; args?: string[] } = {}): Promise<Kmsd> {
  const { args = [], ...rest } = options;
  return startKmsd({
    ...rest,
    args: ["--xks-proxy-ca", tls.certFile, "--xks-proxy-connect-to", `${PROXY_HOST}=127.0.0.1:${port}`, "--xks-proxy-timeout", String(TEST_PROXY_TIMEOUT_MS), ...args],
  });
}

/**
 * A TCP relay in front of a proxy, to make it misbehave: `stall` holds new connections open
 * without a byte either way (a proxy that does not answer), `stop` refuses them (a proxy that
 * is down), `start` listens again on the same port.
 */
export class ProxyRelay {
  readonly port: number;
  readonly #target: number;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  stall = false;

  private constructor(port: number, target: number) {
    this.port = port;
    this.#target = target;
  }

  /** A relay on a free loopback port to the proxy on `target`. */
  static async open(target: number): Promise<ProxyRelay> {
    const relay = new ProxyRelay(await freePort(), target);
    await relay.start();
    return relay;
  }

  async start(): Promise<void> {
    const server = createServer((client) => {
      this.#track(client);
      if (this.stall) return;
      const upstream = connect(this.#target, "127.0.0.1");
      this.#track(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", end).on("close", end);
      upstream.on("error", end).on("close", end);
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
  }
}

/** What `XksNodes.start` may start differently. */
export interface XksNodesOptions {
  /** B's proxy users (default: PROXY_USER alone). */
  proxyUsers?: readonly object[];
  /** Put a ProxyRelay between A and B, so that the test can stall or stop the proxy as A sees it. */
  relay?: boolean;
  /** A's options beyond the proxy's (startStoreKmsd). */
  store?: { dev?: boolean; args?: string[] };
}

/** The two nodes of an XKS test: kmsd B serving the XKS proxy API, kmsd A keeping external key stores on it. */
export class XksNodes {
  readonly tls: ProxyTls;
  /** B's XKS port. */
  readonly proxyPort: number;
  /** The proxy (a new process after `restartProxy`). */
  b: Kmsd;
  readonly relay: ProxyRelay | undefined;
  /** Reaches PROXY_HOST at B's port, or at the relay's when there is one. */
  readonly a: Kmsd;
  readonly #proxyUsers: readonly object[] | undefined;

  private constructor(tls: ProxyTls, proxyPort: number, proxyUsers: readonly object[] | undefined, b: Kmsd, relay: ProxyRelay | undefined, a: Kmsd) {
    this.tls = tls;
    this.proxyPort = proxyPort;
    this.#proxyUsers = proxyUsers;
    this.b = b;
    this.relay = relay;
    this.a = a;
  }

  /**
   * A fresh certificate, B on a free port, the relay if asked for, then A trusting the
   * certificate and reaching B. When a step fails, what it started is stopped again.
   */
  static async start(options: XksNodesOptions & { relay: true }): Promise<XksNodes & { relay: ProxyRelay }>;
  static async start(options?: XksNodesOptions): Promise<XksNodes>;
  static async start(options: XksNodesOptions = {}): Promise<XksNodes> {
    const tls = makeProxyTls();
    const proxyPort = await freePort();
    let b: Kmsd | undefined;
    let relay: ProxyRelay | undefined;
    try {
      b = await startProxyKmsd(tls, proxyPort, undefined, options.proxyUsers);
      if (options.relay) relay = await ProxyRelay.open(proxyPort);
      const a = await startStoreKmsd(tls, relay?.port ?? proxyPort, options.store);
      return new XksNodes(tls, proxyPort, options.proxyUsers, b, relay, a);
    } catch (error) {
      await stopNodes(undefined, relay, b, tls);
      throw error;
    }
  }

  /** Starts B again on its data directory, port and proxy users (after the test stopped it); resolves to the new B. */
  async restartProxy(): Promise<Kmsd> {
    this.b = await startProxyKmsd(this.tls, this.proxyPort, this.b.dataDir, this.#proxyUsers);
    return this.b;
  }

  /** Stops A, the relay and B, and removes their data directories and the certificate's. */
  async dispose(): Promise<void> {
    await stopNodes(this.a, this.relay, this.b, this.tls);
  }
}

/** Stops what of an XKS test's nodes was started, A first (it calls B), and removes its files. */
async function stopNodes(a: Kmsd | undefined, relay: ProxyRelay | undefined, b: Kmsd | undefined, tls: ProxyTls): Promise<void> {
  await a?.dispose();
  await relay?.stop();
  await b?.dispose();
  rmSync(tls.dir, { recursive: true, force: true });
}

/** CreateCustomKeyStore's input for an external key store on PROXY_HOST. */
export function externalStoreInput(name: string, overrides: Record<string, unknown> = {}) {
  return {
    CustomKeyStoreName: name,
    CustomKeyStoreType: "EXTERNAL_KEY_STORE" as const,
    XksProxyUriEndpoint: `https://${PROXY_HOST}`,
    XksProxyUriPath: "/kms/xks/v1",
    XksProxyAuthenticationCredential: { AccessKeyId: PROXY_USER.accessKeyId, RawSecretAccessKey: PROXY_USER.secretAccessKey },
    XksProxyConnectivity: "PUBLIC_ENDPOINT" as const,
    ...overrides,
  };
}
