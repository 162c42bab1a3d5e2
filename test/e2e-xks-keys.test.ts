/**
 * Keys of external key stores, beyond the happy path of e2e-xks: a key whose store is not
 * connected is Unavailable for every use (AWS's message, even for a disabled key); the proxy's
 * secondary authorization (a proxy user restricted to listed XKS keys or AWS principals)
 * refuses the rest with the spec's AccessDeniedException, which KMS answers as
 * KMSInvalidStateException; and two concurrent CreateKey on one external key: exactly one
 * succeeds, on SQLite and PostgreSQL alike.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import {
  ConnectCustomKeyStoreCommand,
  CreateAliasCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisconnectCustomKeyStoreCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ReEncryptCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { cloudTrailClient } from "./support/audit.ts";
import { expectAwsError, type Kmsd } from "./support/kmsd.ts";
import { freshDatabase } from "./support/postgres.ts";
import { externalStoreInput, PROXY_USER, startStoreKmsd, XksNodes } from "./support/xks.ts";

const NOT_CONNECTED =
  "This KMS key is in a custom key store that is not connected to its external key store proxy. Connect the external key store and try the request again.";
const ACCESS_DENIED =
  "The external key store proxy denied access to the operation. Verify that the user and the external key are both authorized for this operation, and try the request again.";

/** A proxy user who may use only the external key named by alias `xks-allowed`. */
const KEYS_USER = { accessKeyId: "XKSPROXYUSERKEYSKEYS2222", secretAccessKey: "kmsdTestProxySecretKeyKeysUser0123456789abcdef", keys: ["xks-allowed"] };
/** A proxy user who serves only calls made by a principal that is not A's. */
const PRINCIPALS_USER = {
  accessKeyId: "XKSPROXYUSERPRINCIPALS22",
  secretAccessKey: "kmsdTestProxySecretKeyPrincipals0123456789abc",
  principals: ["arn:aws:iam::999999999999:root"],
};

describe("keys of external key stores", () => {
  let nodes: XksNodes;
  let b: Kmsd;
  let a: Kmsd;
  let kmsA: KMSClient;
  let store: string;

  before(async () => {
    nodes = await XksNodes.start({ proxyUsers: [PROXY_USER, KEYS_USER, PRINCIPALS_USER] });
    ({ a, b } = nodes);
    kmsA = a.kms();
    store = (await kmsA.send(new CreateCustomKeyStoreCommand(externalStoreInput("xks-keys")))).CustomKeyStoreId as string;
    await kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: store }));
  });
  after(async () => {
    await nodes?.dispose();
  });

  /** A new key in B, the external key of a key in A. */
  const externalKey = async () => (await b.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
  const keyInStore = async (customKeyStoreId: string, xksKeyId: string, client = kmsA) =>
    (await client.send(new CreateKeyCommand({ Origin: "EXTERNAL_KEY_STORE", CustomKeyStoreId: customKeyStoreId, XksKeyId: xksKeyId }))).KeyMetadata?.KeyId as string;

  test("while its store is disconnected a key is Unavailable to every use, a disabled one too; EnableKey takes effect when the store connects", async () => {
    const enabled = await keyInStore(store, await externalKey());
    const disabled = await keyInStore(store, await externalKey());
    const { CiphertextBlob } = await kmsA.send(new EncryptCommand({ KeyId: enabled, Plaintext: Buffer.from("kept outside") }));
    await kmsA.send(new DisableKeyCommand({ KeyId: disabled }));
    await kmsA.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: store }));
    try {
      const uses: Array<[string, () => Promise<unknown>]> = [
        ["Encrypt", () => kmsA.send(new EncryptCommand({ KeyId: enabled, Plaintext: Buffer.from("x") }))],
        ["Decrypt named by the blob", () => kmsA.send(new DecryptCommand({ CiphertextBlob }))],
        ["Decrypt naming the key", () => kmsA.send(new DecryptCommand({ CiphertextBlob, KeyId: enabled }))],
        ["ReEncrypt", () => kmsA.send(new ReEncryptCommand({ CiphertextBlob, DestinationKeyId: enabled }))],
        ["GenerateDataKey with the disabled key", () => kmsA.send(new GenerateDataKeyCommand({ KeyId: disabled, KeySpec: "AES_256" }))],
        ["Encrypt with the disabled key", () => kmsA.send(new EncryptCommand({ KeyId: disabled, Plaintext: Buffer.from("x") }))],
      ];
      for (const [use, call] of uses) {
        await expectAwsError(call(), "KMSInvalidStateException", NOT_CONNECTED).catch((error: Error) => assert.fail(`${use}: ${error.name}: ${error.message}`));
      }
      await kmsA.send(new EnableKeyCommand({ KeyId: disabled }));
      assert.equal((await kmsA.send(new DescribeKeyCommand({ KeyId: disabled }))).KeyMetadata?.KeyState, "Unavailable");
    } finally {
      await kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: store }));
    }
    assert.equal((await kmsA.send(new DescribeKeyCommand({ KeyId: disabled }))).KeyMetadata?.KeyState, "Enabled");
    assert.equal(Buffer.from((await kmsA.send(new DecryptCommand({ CiphertextBlob }))).Plaintext ?? []).toString(), "kept outside");
  });

  test("a proxy user restricted to listed keys or principals is refused the others with AccessDeniedException, which A answers as KMSInvalidStateException", async () => {
    for (const alias of ["xks-allowed", "xks-other"]) await b.kms().send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: await externalKey() }));
    const storeOf = async (name: string, user: { accessKeyId: string; secretAccessKey: string }) => {
      const credential = { AccessKeyId: user.accessKeyId, RawSecretAccessKey: user.secretAccessKey };
      const id = (await kmsA.send(new CreateCustomKeyStoreCommand(externalStoreInput(name, { XksProxyUriPath: `/${name}/kms/xks/v1`, XksProxyAuthenticationCredential: credential })))).CustomKeyStoreId as string;
      // GetHealthStatus is never subject to the proxy's authorization: both connect.
      await kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      return id;
    };
    const keysStore = await storeOf("xks-keys-user", KEYS_USER);
    const allowed = await keyInStore(keysStore, "xks-allowed");
    const { CiphertextBlob } = await kmsA.send(new EncryptCommand({ KeyId: allowed, Plaintext: Buffer.from("allowed") }));
    assert.equal(Buffer.from((await kmsA.send(new DecryptCommand({ CiphertextBlob }))).Plaintext ?? []).toString(), "allowed");
    await expectAwsError(keyInStore(keysStore, "xks-other"), "KMSInvalidStateException", ACCESS_DENIED);

    const principalsStore = await storeOf("xks-principals-user", PRINCIPALS_USER);
    await expectAwsError(keyInStore(principalsStore, "xks-allowed"), "KMSInvalidStateException", ACCESS_DENIED);

    // B's trail records each refusal, with the proxy user that was refused.
    const events = await cloudTrailClient(b).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "XksProxyGetKeyMetadata" }] }));
    const refused = (events.Events ?? [])
      .map((event) => JSON.parse(event.CloudTrailEvent ?? "{}") as { errorCode?: string; userIdentity: { accessKeyId: string } })
      .filter((record) => record.errorCode === "AccessDeniedException")
      .map((record) => record.userIdentity.accessKeyId)
      .sort();
    assert.deepEqual(refused, [KEYS_USER.accessKeyId, PRINCIPALS_USER.accessKeyId].sort());
  });

  test("two concurrent CreateKey on one external key: exactly one succeeds, the other is XksKeyAlreadyInUseException (SQLite)", async () => {
    await expectOneCreateKeyWins(kmsA, store, externalKey);
  });

  test("the same on PostgreSQL", async () => {
    const onPostgres = await startStoreKmsd(nodes.tls, nodes.proxyPort, { args: ["--database", await freshDatabase()] });
    try {
      const kms = onPostgres.kms();
      const id = (await kms.send(new CreateCustomKeyStoreCommand(externalStoreInput("xks-postgres", { XksProxyUriPath: "/postgres/kms/xks/v1" })))).CustomKeyStoreId as string;
      await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      await expectOneCreateKeyWins(kms, id, externalKey);
    } finally {
      await onPostgres.dispose();
    }
  });
});

/** Several rounds of two concurrent CreateKey naming one fresh external key in `store`. */
async function expectOneCreateKeyWins(kms: KMSClient, store: string, externalKey: () => Promise<string>): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const xksKeyId = await externalKey();
    const create = () => kms.send(new CreateKeyCommand({ Origin: "EXTERNAL_KEY_STORE", CustomKeyStoreId: store, XksKeyId: xksKeyId }));
    const outcomes = await Promise.allSettled([create(), create()]);
    const won = outcomes.filter((outcome) => outcome.status === "fulfilled");
    const lost = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    assert.equal(won.length, 1, `round ${round}: ${won.length} of 2 CreateKey succeeded`);
    assert.equal((lost[0]?.reason as Error).name, "XksKeyAlreadyInUseException");
  }
}
