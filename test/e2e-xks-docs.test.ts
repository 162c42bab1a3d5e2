// docs/custom-key-stores.md runs as a reader would run it: its marked commands, taken from the
// markdown (test/support/walkthrough.ts), against one kmsd that serves the XKS proxy API and
// keeps an external key store on it, started as the page's setup starts it (the page's proxy
// users file, a self-signed certificate for the page's host name, a free port for the proxy).
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import { parseWalkthrough, runBlocks, walkthroughContext } from "./support/walkthrough.ts";
import { freePort, makeProxyTls, PROXY_HOST, TEST_PROXY_TIMEOUT_MS, type ProxyTls } from "./support/xks.ts";

const PAGE = "docs/custom-key-stores.md";

void describe(PAGE, () => {
  const blocks = parseWalkthrough(readFileSync(new URL(`../${PAGE}`, import.meta.url), "utf8"));
  let kmsd: Kmsd;
  let tls: ProxyTls;
  const dirs: string[] = [];

  before(async () => {
    tls = makeProxyTls();
    const users = blocks.find((block) => block.kind === "file" && block.name === "proxy-users.json");
    assert.ok(users?.kind === "file", "the page has its proxy users file");
    const usersFile = join(tls.dir, "proxy-users.json");
    writeFileSync(usersFile, users.text);
    const port = await freePort();
    kmsd = await startKmsd({
      dev: true,
      args: ["--xks-port", String(port), "--xks-tls-cert", tls.certFile, "--xks-tls-key", tls.keyFile, "--xks-proxy-users", usersFile,
        "--xks-proxy-ca", tls.certFile, "--xks-proxy-connect-to", `${PROXY_HOST}=127.0.0.1:${port}`, "--xks-proxy-timeout", String(TEST_PROXY_TIMEOUT_MS)],
    });
  });
  after(async () => {
    for (const dir of [...dirs, tls.dir]) rmSync(dir, { recursive: true, force: true });
    await kmsd?.dispose();
  });

  void it("every command runs and prints what the page shows", () => {
    const context = walkthroughContext(kmsd, blocks);
    dirs.push(context.dir);
    runBlocks(blocks, context);
  });
});
