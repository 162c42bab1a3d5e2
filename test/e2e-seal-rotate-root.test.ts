/**
 * End to end: `kmsd operator rotate-root` (offline) makes a new root key generation and
 * re-wraps every stored secret under it. Afterwards every ciphertext made before still
 * decrypts, signatures and MACs still verify, IAM access keys still sign, grant tokens
 * handed out before still work, the old root key opens nothing, and the rotation is in the
 * audit trail without any secret. Killed with SIGKILL at random points (10 runs on SQLite,
 * 3 on PostgreSQL), it leaves every secret wrapped under the old or the new key, a server
 * refuses to start until it is finished, and running it again finishes it.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
} from "@aws-sdk/client-kms";
import { FileRootKey, wrapGeneration, type WrappingKey } from "../src/crypto/rootKey.ts";
import { RootKeyring } from "../src/crypto/rootKeyring.ts";
import { openDeploymentStore } from "../src/dataDir.ts";
import { hasCheckValue, readRootKeyState } from "../src/seal/rootKeyCheck.ts";
import { wrappedSecretAad } from "../src/seal/rotateRoot.ts";
import { WRAPPED_SECRET_KINDS } from "../src/store/wrappedSecrets.ts";
import { BIN, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { freshDatabase } from "./support/postgres.ts";
import { initShamir, runCli, unsealWith } from "./support/seal.ts";
import { checkThings, makeThings, type Made } from "./support/sealedThings.ts";
import { externalStoreInput, freePort, makeProxyTls, startProxyKmsd, startStoreKmsd } from "./support/xks.ts";

interface Rotated {
  RootKeyGeneration: number;
  PreviousRootKeyGeneration: number;
  RewrappedSecrets: number;
}

async function rotateRoot(dataDir: string, extra: string[] = [], stdin?: string): Promise<Rotated> {
  const result = await runCli(["operator", "rotate-root", "--data-dir", dataDir, ...extra, "--json"], { stdin });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Rotated;
}

/** A grant token of a new grant on a new key, and a ciphertext to decrypt with it. */
async function grantTokenThing(kmsd: Kmsd): Promise<{ keyId: string; token: string; ciphertext: Uint8Array }> {
  const kms = kmsd.kms();
  const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
  const grant = await kms.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: `arn:aws:iam::${kmsd.accountId}:root`, Operations: ["Decrypt"] }));
  const ciphertext = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("granted") }))).CiphertextBlob ?? new Uint8Array();
  return { keyId, token: grant.GrantToken ?? "", ciphertext };
}

describe("operator rotate-root on a file-mode data directory", () => {
  const scratch = mkdtempSync(join(tmpdir(), "kmsd-rotate-root-"));
  const dataDir = join(scratch, "data");
  let made: Made;
  let granted: Awaited<ReturnType<typeof grantTokenThing>>;
  let accountId = "";
  after(() => rmSync(scratch, { recursive: true, force: true }));

  before(async () => {
    const kmsd = await startKmsd({ dataDir, dev: true });
    made = await makeThings(kmsd);
    granted = await grantTokenThing(kmsd);
    accountId = kmsd.accountId;
    await kmsd.stop();
  });

  it("re-wraps every secret under generation 2: everything made before still works, and the old root key opens nothing", async () => {
    const oldRootKey = readFileSync(join(dataDir, "root.key"));
    const rotated = await rotateRoot(dataDir);
    assert.equal(rotated.RootKeyGeneration, 2);
    assert.equal(rotated.PreviousRootKeyGeneration, 1);
    // 4 keys' material, the grant's key's, the account root's and the user's access keys, the digest signing key.
    assert.ok(rotated.RewrappedSecrets >= 8, `re-wrapped ${rotated.RewrappedSecrets}`);
    assert.equal(readFileSync(join(dataDir, "root.key")).equals(oldRootKey), false);
    assert.equal(existsSync(join(dataDir, "root.key.next")), false);
    await assertEverySecretUnder(dataDir, undefined, 2);

    const kmsd = await startKmsd({ dataDir, dev: true });
    try {
      await checkThings(kmsd, made);
      const decrypted = await kmsd.kms().send(new DecryptCommand({ CiphertextBlob: granted.ciphertext, GrantTokens: [granted.token] }));
      assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), "granted");
    } finally {
      await kmsd.stop();
    }

    // The old root key no longer fits the database: a node given it refuses to start.
    const newRootKey = join(scratch, "root.key.new");
    copyFileSync(join(dataDir, "root.key"), newRootKey);
    writeFileSync(join(dataDir, "root.key"), oldRootKey);
    const refused = await runCli(["serve", "--data-dir", dataDir, "--port", "0", "--workers", "1"]);
    copyFileSync(newRootKey, join(dataDir, "root.key"));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the root key does not match this database/);
  });

  it("rotates again (generation 3), and the rotation is an audit event naming the generations and no secret", async () => {
    const rotated = await rotateRoot(dataDir);
    assert.equal(rotated.RootKeyGeneration, 3);
    const kmsd = await startKmsd({ dataDir, dev: true });
    try {
      await checkThings(kmsd, made);
      const trail = new CloudTrailClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials });
      const { Events } = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "RotateRootKey" }] }));
      assert.equal(Events?.length, 2);
      const record = JSON.parse(Events?.[0]?.CloudTrailEvent ?? "{}") as Record<string, unknown>;
      assert.equal(record.eventType, "AwsServiceEvent");
      assert.equal(record.recipientAccountId, accountId);
      assert.deepEqual(record.serviceEventDetails, { previousRootKeyGeneration: "2", rootKeyGeneration: "3", rewrappedSecrets: String(rotated.RewrappedSecrets) });
      const rootKey = readFileSync(join(dataDir, "root.key"));
      for (const form of [rootKey.toString("hex"), rootKey.toString("base64")]) assert.equal(Events?.[0]?.CloudTrailEvent?.includes(form), false);
    } finally {
      await kmsd.stop();
    }
  });
});

describe("operator rotate-root with an external key store", () => {
  const scratch = mkdtempSync(join(tmpdir(), "kmsd-rotate-root-xks-"));
  const dataDir = join(scratch, "data");
  let proxy: Kmsd | undefined;
  after(async () => {
    await proxy?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("re-wraps the store's proxy secret: after the rotation the store connects again and its key still encrypts and decrypts", async () => {
    const tls = makeProxyTls();
    const proxyPort = await freePort();
    proxy = await startProxyKmsd(tls, proxyPort);
    const externalKeyId = (await proxy.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;

    const original = await startStoreKmsd(tls, proxyPort, { dataDir, dev: true });
    const { CustomKeyStoreId: storeId } = await original.kms().send(new CreateCustomKeyStoreCommand(externalStoreInput("rotated-xks")));
    await original.kms().send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    const keyId = (await original.kms().send(new CreateKeyCommand({ Origin: "EXTERNAL_KEY_STORE", CustomKeyStoreId: storeId, XksKeyId: externalKeyId }))).KeyMetadata?.KeyId;
    const { CiphertextBlob } = await original.kms().send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("before the rotation") }));
    await original.kms().send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await original.stop();

    await rotateRoot(dataDir);
    await assertEverySecretUnder(dataDir, undefined, 2);

    const restarted = await startStoreKmsd(tls, proxyPort, { dataDir, dev: true });
    try {
      const kms = restarted.kms();
      // Connecting checks the proxy's health with the store's credential: its secret must unwrap under the new root key.
      await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
      const store = (await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }))).CustomKeyStores?.[0];
      assert.equal(store?.ConnectionState, "CONNECTED", `the store's connection ${store?.ConnectionState} (${store?.ConnectionErrorCode})`);
      assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext ?? []).toString(), "before the rotation");
      const fresh = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("after the rotation") }));
      assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: fresh.CiphertextBlob }))).Plaintext ?? []).toString(), "after the rotation");
    } finally {
      await restarted.stop();
    }
  });
});

describe("operator rotate-root on a shamir data directory", () => {
  it("takes the threshold's shares on standard input; the same shares unseal the new root key", async () => {
    const { dataDir, init } = await initShamir(3, 2);
    try {
      const kmsd = await startKmsd({ dataDir });
      await unsealWith(kmsd.endpoint, init.UnsealShares.slice(0, 2));
      const made = await makeThings(kmsd);
      await kmsd.stop();
      const sealBefore = readFileSync(join(dataDir, "seal.json"), "utf8");

      const refused = await runCli(["operator", "rotate-root", "--data-dir", dataDir, "--json"], { stdin: `${init.UnsealShares[0]}\n` });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /needs 2 unseal shares on standard input/);

      const rotated = await rotateRoot(dataDir, [], `${init.UnsealShares[1]}\n${init.UnsealShares[2]}\n`);
      assert.equal(rotated.RootKeyGeneration, 2);
      const sealAfter = JSON.parse(readFileSync(join(dataDir, "seal.json"), "utf8")) as { seal: { wrappedRootKey: string }; next?: unknown };
      assert.notEqual(sealAfter.seal.wrappedRootKey, (JSON.parse(sealBefore) as { seal: { wrappedRootKey: string } }).seal.wrappedRootKey);
      assert.equal(sealAfter.next, undefined);

      const unsealed = await startKmsd({ dataDir });
      try {
        await unsealWith(unsealed.endpoint, [init.UnsealShares[2] ?? "", init.UnsealShares[0] ?? ""]);
        await checkThings(unsealed, made);
      } finally {
        await unsealed.stop();
      }
    } finally {
      rmSync(join(dataDir, ".."), { recursive: true, force: true });
    }
  });
});

/**
 * Every wrapped secret of the deployment unwraps, with the additional data it was wrapped
 * with, under the root key generation it names: one of the database's (the current one, and
 * the next while a rotation runs), held by one of the data directory's root key files.
 * With `expected`, every secret names that generation.
 */
async function assertEverySecretUnder(dataDir: string, databaseUrl: string | undefined, expected?: number): Promise<number> {
  const { store } = await openDeploymentStore(dataDir, databaseUrl);
  const files = [join(dataDir, "root.key"), join(dataDir, "root.key.next")].filter((path) => existsSync(path)).map((path) => FileRootKey.load(path));
  try {
    const state = await readRootKeyState(store);
    assert.ok(state);
    const byGeneration = new Map<number, WrappingKey>();
    for (const key of files) {
      if (hasCheckValue(key, state.check)) byGeneration.set(state.generation, key);
      if (state.rotation && hasCheckValue(key, state.rotation.check)) byGeneration.set(state.rotation.generation, key);
    }
    assert.ok(byGeneration.has(state.generation), "the data directory holds the database's current root key");
    let count = 0;
    for (const kind of WRAPPED_SECRET_KINDS) {
      for (const secret of await store.listWrappedSecrets(kind, undefined, 100_000)) {
        const generation = wrapGeneration(secret.wrapped);
        const where = `${kind} ${secret.id.join("/")}`;
        if (expected !== undefined) assert.equal(generation, expected, where);
        const key = byGeneration.get(generation);
        assert.ok(key, `${where} is wrapped under generation ${generation}, which no root key file holds`);
        new RootKeyring({ generation, key }).unwrap(secret.wrapped, await wrappedSecretAad(store, secret)).fill(0);
        count++;
      }
    }
    return count;
  } finally {
    for (const key of files) key.destroy();
    await store.close();
  }
}

/** Runs rotate-root and kills it with SIGKILL after `delayMs` (or lets it finish first); true if it was killed. */
async function rotateRootKilledAfter(dataDir: string, extra: string[], delayMs: number): Promise<boolean> {
  const child = spawn(process.execPath, [BIN, "operator", "rotate-root", "--data-dir", dataDir, ...extra, "--json"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const timer = setTimeout(() => child.kill("SIGKILL"), delayMs);
  const code = await exited;
  clearTimeout(timer);
  if (code !== null) assert.equal(code, 0, stderr);
  return code === null;
}

/** Makes `count` keys with a ciphertext each (so a rotation takes long enough to be killed in the middle). */
async function manyCiphertexts(kmsd: Kmsd, count: number): Promise<Array<{ ciphertext: Uint8Array; plaintext: string }>> {
  const kms = kmsd.kms();
  const made: Array<{ ciphertext: Uint8Array; plaintext: string }> = [];
  for (let i = 0; i < count; i++) {
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
    const plaintext = `ciphertext ${i}`;
    made.push({ plaintext, ciphertext: (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(plaintext) }))).CiphertextBlob ?? new Uint8Array() });
  }
  return made;
}

const ENGINES = [
  { name: "SQLite", runs: 10, database: async (): Promise<string | undefined> => undefined },
  { name: "PostgreSQL", runs: 3, database: async (): Promise<string | undefined> => freshDatabase() },
] as const;

for (const engine of ENGINES) {
  describe(`operator rotate-root killed with SIGKILL at random points (${engine.name})`, () => {
    const scratch = mkdtempSync(join(tmpdir(), "kmsd-rotate-root-kill-"));
    const dataDir = join(scratch, "data");
    after(() => rmSync(scratch, { recursive: true, force: true }));

    it(`${engine.runs} runs: after each kill every secret is under the old or the new root key, serve refuses, a rerun finishes, and every ciphertext decrypts`, async () => {
      const databaseUrl = await engine.database();
      const databaseArgs = databaseUrl === undefined ? [] : ["--database", databaseUrl];
      const first = await startKmsd({ dataDir, dev: true, args: databaseArgs });
      const ciphertexts = await manyCiphertexts(first, 80);
      await first.stop();

      // How long a whole rotation takes here, to kill the next ones anywhere inside one;
      // a run that finished before its kill says again how long a whole one takes.
      let started = Date.now();
      await rotateRoot(dataDir, databaseArgs);
      let wholeMs = Date.now() - started;
      let killed = 0;
      let refusalSeen = false;
      const delays: number[] = [];
      for (let attempt = 0; killed < engine.runs && attempt < engine.runs * 3; attempt++) {
        const delayMs = Math.floor(Math.random() * wholeMs * 0.9);
        delays.push(delayMs);
        started = Date.now();
        if (!(await rotateRootKilledAfter(dataDir, databaseArgs, delayMs))) {
          wholeMs = Date.now() - started;
          continue;
        }
        killed++;
        await assertEverySecretUnder(dataDir, databaseUrl);
        const state = await (async () => {
          const { store } = await openDeploymentStore(dataDir, databaseUrl);
          try {
            return await readRootKeyState(store);
          } finally {
            await store.close();
          }
        })();
        // A server refuses a deployment whose rotation did not finish (checked once: each start costs a second or two).
        if (!refusalSeen && (state?.rotation !== undefined || existsSync(join(dataDir, "root.key.next")))) {
          refusalSeen = true;
          const refused = await runCli(["serve", "--data-dir", dataDir, "--port", "0", "--workers", "1", ...databaseArgs]);
          assert.equal(refused.code, 1);
          assert.match(refused.stderr, /rotation .*did not finish/);
        }
        await rotateRoot(dataDir, databaseArgs);
        await assertEverySecretUnder(dataDir, databaseUrl);
      }
      assert.equal(killed, engine.runs, `only ${killed} runs were killed before they finished (delays ${delays.join(", ")} ms; a whole run ${wholeMs} ms)`);
      const kmsd = await startKmsd({ dataDir, dev: true, args: databaseArgs });
      try {
        for (const { ciphertext, plaintext } of ciphertexts) {
          const decrypted = await kmsd.kms().send(new DecryptCommand({ CiphertextBlob: ciphertext }));
          assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), plaintext);
        }
      } finally {
        await kmsd.stop();
      }
    });
  });
}
