/**
 * CloudHSM-type custom key stores on a PKCS#11 token (SoftHSM2): the token stands for the
 * cluster that --cloudhsm-clusters names, the store's KeyStorePassword is the token's user
 * PIN (checked when the store connects), and each KMS key of the store has an AES-256 key
 * the token made, which encrypts kmsd's own ciphertext again on every call.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
  UpdateCustomKeyStoreCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";

const MODULE = "/usr/lib/softhsm/libsofthsm2.so";
const CLUSTER = "cluster-234abcdefgh";
const PIN = "kmsuser-pin-1234";

describe("AWS_CLOUDHSM custom key stores on a SoftHSM2 token", { skip: existsSync(MODULE) ? false : `SoftHSM2 is not installed (${MODULE})` }, () => {
  const scratch = mkdtempSync(join(tmpdir(), "kmsd-cloudhsm-"));
  const softhsm = { SOFTHSM2_CONF: join(scratch, "softhsm2.conf") };
  let kmsd: Kmsd;
  let kms: KMSClient;

  before(async () => {
    mkdirSync(join(scratch, "tokens"));
    writeFileSync(softhsm.SOFTHSM2_CONF, `directories.tokendir = ${join(scratch, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    execFileSync("softhsm2-util", ["--init-token", "--free", "--label", "kmsd-cluster", "--so-pin", "so-pin-0000", "--pin", PIN], { env: { ...process.env, ...softhsm }, stdio: "ignore" });
    const clusters = join(scratch, "clusters.json");
    writeFileSync(clusters, JSON.stringify({ [CLUSTER]: { module: MODULE, tokenLabel: "kmsd-cluster" } }));
    kmsd = await startKmsd({ args: ["--cloudhsm-clusters", clusters], env: softhsm });
    kms = kmsd.kms();
  });
  after(async () => {
    await kmsd?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  const state = async (id: string) => (await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores?.[0];

  it("an unknown cluster id is CloudHsmClusterNotFoundException", async () => {
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: "nowhere", CloudHsmClusterId: "cluster-777abcdefgh", TrustAnchorCertificate: "pem", KeyStorePassword: PIN })),
      "CloudHsmClusterNotFoundException",
    );
  });

  it("a wrong kmsuser password FAILS the connection with INVALID_CREDENTIALS; the right one connects, and its keys encrypt in the token", async () => {
    const { CustomKeyStoreId: id } = await kms.send(
      new CreateCustomKeyStoreCommand({ CustomKeyStoreName: "hsm", CloudHsmClusterId: CLUSTER, TrustAnchorCertificate: "trust anchor pem", KeyStorePassword: "not-the-pin" }),
    );
    assert.equal((await state(id as string))?.CloudHsmClusterId, CLUSTER);
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: "hsm-again", CloudHsmClusterId: CLUSTER, TrustAnchorCertificate: "pem", KeyStorePassword: PIN })),
      "CloudHsmClusterInUseException",
    );
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    assert.deepEqual([(await state(id as string))?.ConnectionState, (await state(id as string))?.ConnectionErrorCode], ["FAILED", "INVALID_CREDENTIALS"]);

    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: PIN }));
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    assert.equal((await state(id as string))?.ConnectionState, "CONNECTED");

    const key = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: id }))).KeyMetadata;
    assert.equal(key?.Origin, "AWS_CLOUDHSM");
    assert.equal(key?.CloudHsmClusterId, CLUSTER);
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key?.KeyId, Plaintext: Buffer.from("kept in the token") }));
    assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext ?? []).toString(), "kept in the token");

    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob })), "KMSInvalidStateException");
  });
});
