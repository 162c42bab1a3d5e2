/**
 * External key stores end to end: kmsd A keeps an external key store on kmsd B's XKS
 * proxy (HTTPS on loopback with a self-signed certificate A is told to trust). Keys in A
 * encrypt and decrypt through B under double encryption, B's audit trail shows each proxy
 * call, a stopped B makes A's calls fail as AWS's do and its store's connection fail, and
 * B back plus ConnectCustomKeyStore recovers.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisconnectCustomKeyStoreCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ReEncryptCommand,
  UpdateCustomKeyStoreCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { expectAwsError, type Kmsd } from "./support/kmsd.ts";
import { cloudTrailClient } from "./support/audit.ts";
import { externalStoreInput, PROXY_USER, XksNodes } from "./support/xks.ts";

/** The parts of B's proxy-call events the test reads. */
interface ProxyEventRecord {
  userIdentity: { accessKeyId: string };
  requestParameters: { requestMetadata: { kmsKeyArn: string } };
}

const UNREACHABLE =
  "AWS KMS cannot communicate with the external key store proxy. This might be a transient network issue. If you see this error repeatedly, verify that your external key store proxy is active and is connected to the network, and that its endpoint URI is correct in your external keystore.";
const NOT_CONNECTED =
  "This KMS key is in a custom key store that is not connected to its external key store proxy. Connect the external key store and try the request again.";

describe("external key stores through another kmsd's XKS proxy", () => {
  let nodes: XksNodes;
  let b: Kmsd;
  let a: Kmsd;
  let kmsA: KMSClient;
  let externalKeyId: string;

  before(async () => {
    nodes = await XksNodes.start();
    ({ a, b } = nodes);
    kmsA = a.kms();
    externalKeyId = (await b.kms().send(new CreateKeyCommand({ Description: "held for A" }))).KeyMetadata?.KeyId as string;
  });
  after(async () => {
    await nodes?.dispose();
  });

  const describeStore = async (id: string) => (await kmsA.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores?.[0];

  test("a store is created DISCONNECTED, connects, and holds keys that encrypt through B under double encryption", async () => {
    const { CustomKeyStoreId: storeId } = await kmsA.send(new CreateCustomKeyStoreCommand(externalStoreInput("xks-main")));
    assert.match(storeId ?? "", /^cks-[0-9a-f]{17}$/);
    const created = await describeStore(storeId as string);
    assert.equal(created?.ConnectionState, "DISCONNECTED");
    assert.equal(created?.CustomKeyStoreType, "EXTERNAL_KEY_STORE");
    assert.deepEqual(created?.XksProxyConfiguration, {
      Connectivity: "PUBLIC_ENDPOINT",
      AccessKeyId: PROXY_USER.accessKeyId,
      UriEndpoint: "https://xks.kmsd.test",
      UriPath: "/kms/xks/v1",
    });

    const keyInput = { Origin: "EXTERNAL_KEY_STORE" as const, CustomKeyStoreId: storeId, XksKeyId: externalKeyId };
    await expectAwsError(kmsA.send(new CreateKeyCommand(keyInput)), "CustomKeyStoreInvalidStateException", NOT_CONNECTED);

    await kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    assert.equal((await describeStore(storeId as string))?.ConnectionState, "CONNECTED");

    const key = (await kmsA.send(new CreateKeyCommand(keyInput))).KeyMetadata;
    assert.equal(key?.Origin, "EXTERNAL_KEY_STORE");
    assert.equal(key?.CustomKeyStoreId, storeId);
    assert.deepEqual(key?.XksKeyConfiguration, { Id: externalKeyId });
    const described = (await kmsA.send(new DescribeKeyCommand({ KeyId: key?.KeyId }))).KeyMetadata;
    assert.deepEqual(described?.XksKeyConfiguration, { Id: externalKeyId });

    await expectAwsError(kmsA.send(new CreateKeyCommand(keyInput)), "XksKeyAlreadyInUseException");
    await expectAwsError(kmsA.send(new CreateKeyCommand({ ...keyInput, XksKeyId: "no-such-external-key" })), "XksKeyNotFoundException");

    const context = { purpose: "xks-test" };
    const plaintext = Buffer.from("held outside kmsd A");
    const { CiphertextBlob } = await kmsA.send(new EncryptCommand({ KeyId: key?.KeyId, Plaintext: plaintext, EncryptionContext: context }));
    const decrypted = await kmsA.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
    assert.deepEqual(Buffer.from(decrypted.Plaintext ?? []), plaintext);
    assert.equal(decrypted.KeyId, key?.Arn);
    // The encryption context is in the proxy's additional data: the proxy refuses a wrong one, and KMS says so as AWS does.
    await expectAwsError(
      kmsA.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { purpose: "other" } })),
      "KMSInvalidStateException",
      "The external key store proxy rejected the request because the specified ciphertext or encryption context is corrupted, missing, or otherwise invalid.",
    );

    const dataKey = await kmsA.send(new GenerateDataKeyCommand({ KeyId: key?.KeyId, KeySpec: "AES_256" }));
    const dataKeyBack = await kmsA.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
    assert.deepEqual(Buffer.from(dataKeyBack.Plaintext ?? []), Buffer.from(dataKey.Plaintext ?? []));

    const plainKey = (await kmsA.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    const moved = await kmsA.send(new ReEncryptCommand({ CiphertextBlob, SourceEncryptionContext: context, DestinationKeyId: plainKey }));
    const back = await kmsA.send(new ReEncryptCommand({ CiphertextBlob: moved.CiphertextBlob, DestinationKeyId: key?.KeyId, DestinationEncryptionContext: context }));
    assert.deepEqual(Buffer.from((await kmsA.send(new DecryptCommand({ CiphertextBlob: back.CiphertextBlob, EncryptionContext: context }))).Plaintext ?? []), plaintext);

    // The external layer is B's: with B's key disabled, A's own material alone decrypts nothing.
    await b.kms().send(new DisableKeyCommand({ KeyId: externalKeyId }));
    await expectAwsError(
      kmsA.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context })),
      "KMSInvalidStateException",
      "The external key associated with this KMS key in an external key store is not enabled in the external HSM. Enable the external key in the external HSM and retry the request.",
    );
    await b.kms().send(new EnableKeyCommand({ KeyId: externalKeyId }));

    // B's trail holds each proxy call (Encrypt, GenerateDataKey, ReEncrypt encrypted through it), with A's key and no plaintext.
    const encryptEvents = await cloudTrailClient(b).send(
      new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "XksProxyEncrypt" }] }),
    );
    const records = (encryptEvents.Events ?? []).map((event) => JSON.parse(event.CloudTrailEvent ?? "{}") as ProxyEventRecord);
    assert.ok(records.length >= 3, `expected B to record A's encryptions, found ${records.length}`);
    for (const record of records) {
      assert.equal(record.userIdentity.accessKeyId, PROXY_USER.accessKeyId);
      assert.match(record.requestParameters.requestMetadata.kmsKeyArn, new RegExp(`:${a.accountId}:key/${key?.KeyId}$`));
      assert.ok(!JSON.stringify(record).includes(plaintext.toString("base64")));
    }
    for (const name of ["XksProxyDecrypt", "XksProxyGetKeyMetadata", "XksProxyGetHealthStatus"]) {
      const found = await cloudTrailClient(b).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: name }] }));
      assert.ok((found.Events ?? []).length > 0, `no ${name} event in B's trail`);
    }
    const failed = await cloudTrailClient(b).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "XksProxyDecrypt" }] }));
    assert.ok((failed.Events ?? []).some((event) => (JSON.parse(event.CloudTrailEvent ?? "{}") as { errorCode?: string }).errorCode === "InvalidStateException"));

    // A store with keys is not deleted, and a connected one not at all.
    await expectAwsError(kmsA.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId })), "CustomKeyStoreInvalidStateException");
  });

  test("B stopped: A's calls fail as AWS's do, connecting FAILS with XKS_PROXY_NOT_REACHABLE; B back and a new connection recover", async () => {
    const { CustomKeyStoreId: storeId } = await kmsA.send(new CreateCustomKeyStoreCommand(externalStoreInput("xks-outage", { XksProxyUriPath: "/outage/kms/xks/v1" })));
    await kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    const outageKey = (await b.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    const key = (await kmsA.send(new CreateKeyCommand({ Origin: "EXTERNAL_KEY_STORE", CustomKeyStoreId: storeId, XksKeyId: outageKey }))).KeyMetadata;
    const { CiphertextBlob } = await kmsA.send(new EncryptCommand({ KeyId: key?.KeyId, Plaintext: Buffer.from("before the outage") }));

    await b.stop();
    await expectAwsError(kmsA.send(new EncryptCommand({ KeyId: key?.KeyId, Plaintext: Buffer.from("x") })), "KMSInvalidStateException", UNREACHABLE);
    await expectAwsError(kmsA.send(new DecryptCommand({ CiphertextBlob })), "KMSInvalidStateException", UNREACHABLE);
    await kmsA.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await expectAwsError(kmsA.send(new EncryptCommand({ KeyId: key?.KeyId, Plaintext: Buffer.from("x") })), "KMSInvalidStateException", NOT_CONNECTED);
    await kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    const failed = await describeStore(storeId as string);
    assert.equal(failed?.ConnectionState, "FAILED");
    assert.equal(failed?.ConnectionErrorCode, "XKS_PROXY_NOT_REACHABLE");
    await expectAwsError(kmsA.send(new CreateCustomKeyStoreCommand(externalStoreInput("xks-down", { XksProxyUriPath: "/down/kms/xks/v1" }))), "XksProxyUriUnreachableException", UNREACHABLE);

    b = await nodes.restartProxy();
    // A FAILED store is disconnected before it connects again, as AWS requires.
    await expectAwsError(kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId })), "CustomKeyStoreInvalidStateException");
    await kmsA.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    const recovered = await describeStore(storeId as string);
    assert.equal(recovered?.ConnectionState, "CONNECTED");
    assert.equal(recovered?.ConnectionErrorCode, undefined);
    assert.equal(Buffer.from((await kmsA.send(new DecryptCommand({ CiphertextBlob }))).Plaintext ?? []).toString(), "before the outage");

    // With its keys still there, a disconnected store is not deleted.
    await kmsA.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await expectAwsError(kmsA.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId })), "CustomKeyStoreHasCMKsException");
  });

  test("a key of a store that is not connected is Unavailable in DescribeKey, and Enabled or Disabled again once the store connects", async () => {
    const { CustomKeyStoreId: storeId } = await kmsA.send(new CreateCustomKeyStoreCommand(externalStoreInput("xks-availability", { XksProxyUriPath: "/availability/kms/xks/v1" })));
    await kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    const keyIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const external = (await b.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
      keyIds.push((await kmsA.send(new CreateKeyCommand({ Origin: "EXTERNAL_KEY_STORE", CustomKeyStoreId: storeId, XksKeyId: external }))).KeyMetadata?.KeyId as string);
    }
    const [enabledKey, disabledKey] = keyIds;
    await kmsA.send(new DisableKeyCommand({ KeyId: disabledKey }));
    const stateOf = async (keyId: string | undefined) => {
      const metadata = (await kmsA.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
      return { KeyState: metadata?.KeyState, Enabled: metadata?.Enabled };
    };

    await kmsA.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    assert.deepEqual(await stateOf(enabledKey), { KeyState: "Unavailable", Enabled: false });
    assert.deepEqual(await stateOf(disabledKey), { KeyState: "Unavailable", Enabled: false });

    await kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    assert.deepEqual(await stateOf(enabledKey), { KeyState: "Enabled", Enabled: true });
    assert.deepEqual(await stateOf(disabledKey), { KeyState: "Disabled", Enabled: false });
  });

  test("CreateCustomKeyStore refuses what AWS refuses, and changes nothing", async () => {
    const before = (await kmsA.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores?.length;
    await kmsA.send(new CreateCustomKeyStoreCommand(externalStoreInput("xks-unique", { XksProxyUriPath: "/unique/kms/xks/v1" })));
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["a taken name", { CustomKeyStoreName: "xks-unique", XksProxyUriPath: "/other/kms/xks/v1" }, "CustomKeyStoreNameInUseException"],
      ["a taken endpoint and path", { CustomKeyStoreName: "xks-same-uri", XksProxyUriPath: "/unique/kms/xks/v1" }, "XksProxyUriInUseException"],
      ["a VPC endpoint service", { CustomKeyStoreName: "xks-vpc", XksProxyConnectivity: "VPC_ENDPOINT_SERVICE", XksProxyVpcEndpointServiceName: "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0" }, "XksProxyVpcEndpointServiceNotFoundException"],
      ["a credential the proxy does not know", { CustomKeyStoreName: "xks-bad-credential", XksProxyUriPath: "/cred/kms/xks/v1", XksProxyAuthenticationCredential: { AccessKeyId: "XKSPROXYUSERBBBBBBBBBB2", RawSecretAccessKey: PROXY_USER.secretAccessKey } }, "XksProxyIncorrectAuthenticationCredentialException"],
      ["a host that does not resolve", { CustomKeyStoreName: "xks-nowhere", XksProxyUriEndpoint: "https://nowhere.invalid" }, "XksProxyUriUnreachableException"],
      ["a path that is not the API's", { CustomKeyStoreName: "xks-bad-path", XksProxyUriPath: "/kms/xks/v2x" }, "ValidationException"],
      ["CloudHSM parameters", { CustomKeyStoreName: "xks-mixed", KeyStorePassword: "kmsuser-password" }, "ValidationException"],
      ["a missing credential", { CustomKeyStoreName: "xks-no-credential", XksProxyAuthenticationCredential: undefined }, "ValidationException"],
    ];
    for (const [, overrides, error] of cases) await expectAwsError(kmsA.send(new CreateCustomKeyStoreCommand(externalStoreInput("x", overrides) as never)), error);
    await expectAwsError(
      kmsA.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: "hsm", CloudHsmClusterId: "cluster-234abcdefgh", TrustAnchorCertificate: "pem", KeyStorePassword: "kmsuser-password" })),
      "CloudHsmClusterNotFoundException",
    );
    assert.equal((await kmsA.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores?.length, (before ?? 0) + 1);
  });

  test("Describe pages and finds by name; Update renames any time but moves the endpoint only while disconnected; Delete removes an empty store", async () => {
    const { CustomKeyStoreId: storeId } = await kmsA.send(new CreateCustomKeyStoreCommand(externalStoreInput("xks-update", { XksProxyUriPath: "/update/kms/xks/v1" })));
    await kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await kmsA.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, NewCustomKeyStoreName: "xks-renamed" }));
    const byName = await kmsA.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: "xks-renamed" }));
    assert.equal(byName.CustomKeyStores?.[0]?.CustomKeyStoreId, storeId);
    await expectAwsError(kmsA.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: "xks-update" })), "CustomKeyStoreNotFoundException");
    await expectAwsError(
      kmsA.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, XksProxyUriEndpoint: "https://elsewhere.kmsd.test" })),
      "CustomKeyStoreInvalidStateException",
    );
    await kmsA.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, XksProxyUriPath: "/moved/kms/xks/v1" }));
    assert.equal((await describeStore(storeId as string))?.XksProxyConfiguration?.UriPath, "/moved/kms/xks/v1");
    await expectAwsError(kmsA.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, KeyStorePassword: "kmsuser-password" })), "ValidationException");

    const all: string[] = [];
    let marker: string | undefined;
    do {
      const page = await kmsA.send(new DescribeCustomKeyStoresCommand({ Limit: 1, ...(marker ? { Marker: marker } : {}) }));
      all.push(...(page.CustomKeyStores ?? []).map((store) => store.CustomKeyStoreId as string));
      assert.equal(page.Truncated, page.NextMarker !== undefined);
      marker = page.NextMarker;
    } while (marker);
    assert.ok(all.includes(storeId as string));
    assert.equal(new Set(all).size, all.length);
    await expectAwsError(kmsA.send(new DescribeCustomKeyStoresCommand({ Marker: "not-a-marker" })), "InvalidMarkerException");

    await expectAwsError(kmsA.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId })), "CustomKeyStoreInvalidStateException");
    await kmsA.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await expectAwsError(kmsA.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId })), "CustomKeyStoreInvalidStateException");
    await kmsA.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await expectAwsError(kmsA.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId })), "CustomKeyStoreNotFoundException");
  });
});
