/**
 * An external key store whose proxy misbehaves after the store connected: a proxy that
 * answers too slowly (past --xks-proxy-timeout, AWS's 250 ms by default) and one that is
 * down. Cryptographic calls fail with KMSInvalidStateException and AWS's message for each
 * case; the store stays CONNECTED, as AWS documents (only a connection attempt makes a store
 * FAILED); the periodic health check (kmsOperation KmsHealthCheck, every 5 minutes of the
 * server clock) reports each outcome as the ConnectionErrorCode it stands for; and the keys
 * work again, without reconnecting, once the proxy answers.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  EncryptCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { expectAwsError, type Kmsd } from "./support/kmsd.ts";
import { externalStoreInput, type ProxyRelay, XksNodes } from "./support/xks.ts";

const TIMED_OUT =
  "AWS KMS rejected the request because the external key store proxy did not respond in time. Retry the request. If you see this error repeatedly, report it to your external key store proxy administrator.";
const UNREACHABLE =
  "AWS KMS cannot communicate with the external key store proxy. This might be a transient network issue. If you see this error repeatedly, verify that your external key store proxy is active and is connected to the network, and that its endpoint URI is correct in your external keystore.";

/** A's proxy timeout here: short enough to wait out, long enough for a busy machine's honest answers. */
const TIMEOUT_MS = 3000;

describe("an external key store whose proxy stalls or stops after it connected", () => {
  let nodes: XksNodes & { relay: ProxyRelay };
  let b: Kmsd;
  let relay: ProxyRelay;
  let a: Kmsd;
  let kmsA: KMSClient;

  before(async () => {
    nodes = await XksNodes.start({ relay: true, store: { dev: true, args: ["--xks-proxy-timeout", String(TIMEOUT_MS), "--metrics-port", "0"] } });
    ({ a, b, relay } = nodes);
    kmsA = a.kms();
  });
  after(async () => {
    await nodes?.dispose();
  });

  /** The outcome of A's last health check of the store, from its metrics. */
  const healthOf = async (storeId: string) => {
    const url = /"metricsUrl":"([^"]+)"/.exec(a.stderr())?.[1];
    assert.ok(url, "A logged no metrics URL");
    const text = await (await fetch(url)).text();
    const outcomes = [...text.matchAll(new RegExp(`^kmsd_xks_proxy_health\\{custom_key_store_id="${storeId}",outcome="([A-Z_]+)"\\} 1$`, "gm"))].map((match) => match[1]);
    return outcomes;
  };
  /** Five minutes of A's server clock: the health check runs before the call returns. */
  const nextHealthCheck = () => a.advanceClock(5 * 60 + 1);
  const connectionOf = async (storeId: string) => {
    const store = (await kmsA.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }))).CustomKeyStores?.[0];
    return { ConnectionState: store?.ConnectionState, ConnectionErrorCode: store?.ConnectionErrorCode };
  };

  test("a stalled proxy times out after --xks-proxy-timeout, a stopped one is unreachable; the store stays CONNECTED and its keys recover with the proxy", async () => {
    const { CustomKeyStoreId: storeId } = await kmsA.send(new CreateCustomKeyStoreCommand(externalStoreInput("xks-outage")));
    await kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    const externalKey = (await b.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    const keyId = (await kmsA.send(new CreateKeyCommand({ Origin: "EXTERNAL_KEY_STORE", CustomKeyStoreId: storeId, XksKeyId: externalKey }))).KeyMetadata?.KeyId;
    const { CiphertextBlob } = await kmsA.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("before the outage") }));
    await nextHealthCheck();
    assert.deepEqual(await healthOf(storeId as string), ["HEALTHY"]);

    // A proxy that accepts the connection and never answers.
    relay.stall = true;
    const started = Date.now();
    await expectAwsError(kmsA.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") })), "KMSInvalidStateException", TIMED_OUT);
    assert.ok(Date.now() - started >= TIMEOUT_MS - 50, `the call failed after ${Date.now() - started} ms, before the proxy timeout`);
    await expectAwsError(kmsA.send(new DecryptCommand({ CiphertextBlob })), "KMSInvalidStateException", TIMED_OUT);
    await nextHealthCheck();
    assert.deepEqual(await healthOf(storeId as string), ["XKS_PROXY_TIMED_OUT"]);
    assert.deepEqual(await connectionOf(storeId as string), { ConnectionState: "CONNECTED", ConnectionErrorCode: undefined });
    assert.equal((await kmsA.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState, "Enabled");

    // A proxy that is down: the connection is refused.
    relay.stall = false;
    await relay.stop();
    await expectAwsError(kmsA.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") })), "KMSInvalidStateException", UNREACHABLE);
    await expectAwsError(kmsA.send(new DecryptCommand({ CiphertextBlob })), "KMSInvalidStateException", UNREACHABLE);
    await nextHealthCheck();
    assert.deepEqual(await healthOf(storeId as string), ["XKS_PROXY_NOT_REACHABLE"]);
    assert.deepEqual(await connectionOf(storeId as string), { ConnectionState: "CONNECTED", ConnectionErrorCode: undefined });

    // The proxy back: the same store and key work again, with no new connection.
    await relay.start();
    assert.equal(Buffer.from((await kmsA.send(new DecryptCommand({ CiphertextBlob }))).Plaintext ?? []).toString(), "before the outage");
    await nextHealthCheck();
    assert.deepEqual(await healthOf(storeId as string), ["HEALTHY"]);
  });
});
