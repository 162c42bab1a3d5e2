/**
 * CloudHSM-type custom key stores on a PKCS#11 token (SoftHSM2): the token stands for the
 * cluster that --cloudhsm-clusters names, the store's KeyStorePassword is the token's user
 * PIN (checked when the store connects), and each KMS key of the store has an AES-256 key
 * the token made, which encrypts kmsd's own ciphertext again on every call. The cluster's trust
 * anchor is the PEM certificate its --cloudhsm-clusters entry names; CreateCustomKeyStore's
 * TrustAnchorCertificate must be that one (IncorrectTrustAnchorException otherwise).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
import { createTestCa } from "./support/certificates.ts";
import { expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";

const MODULE = "/usr/lib/softhsm/libsofthsm2.so";
const CLUSTER = "cluster-234abcdefgh";
const PIN = "kmsuser-pin-1234";

describe("AWS_CLOUDHSM custom key stores on a SoftHSM2 token", { skip: existsSync(MODULE) ? false : `SoftHSM2 is not installed (${MODULE})` }, () => {
  const scratch = mkdtempSync(join(tmpdir(), "kmsd-cloudhsm-"));
  const softhsm = { SOFTHSM2_CONF: join(scratch, "softhsm2.conf") };
  let kmsd: Kmsd;
  let kms: KMSClient;
  /** The cluster's trust anchor (its customerCA.crt), and a certificate that is not it. */
  let trustAnchor: string;
  let otherCertificate: string;

  before(async () => {
    mkdirSync(join(scratch, "tokens"));
    writeFileSync(softhsm.SOFTHSM2_CONF, `directories.tokendir = ${join(scratch, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    execFileSync("softhsm2-util", ["--init-token", "--free", "--label", "kmsd-cluster", "--so-pin", "so-pin-0000", "--pin", PIN], { env: { ...process.env, ...softhsm }, stdio: "ignore" });
    const ca = createTestCa();
    trustAnchor = readFileSync(ca.caCert, "utf8");
    otherCertificate = readFileSync(ca.issue("not the trust anchor").cert, "utf8");
    const clusters = join(scratch, "clusters.json");
    writeFileSync(clusters, JSON.stringify({ [CLUSTER]: { module: MODULE, tokenLabel: "kmsd-cluster", trustAnchorCertificate: ca.caCert } }));
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
      kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: "nowhere", CloudHsmClusterId: "cluster-777abcdefgh", TrustAnchorCertificate: trustAnchor, KeyStorePassword: PIN })),
      "CloudHsmClusterNotFoundException",
    );
  });

  it("a TrustAnchorCertificate that is not the cluster's, or no PEM certificate at all, is IncorrectTrustAnchorException and creates nothing", async () => {
    const cases = [
      ["another certificate", otherCertificate],
      ["not PEM", "trust anchor pem"],
      ["two certificates", `${trustAnchor}\n${otherCertificate}`],
      ["a damaged certificate", trustAnchor.replace("-----BEGIN CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\nAAAA")],
    ];
    for (const [, certificate] of cases) {
      await expectAwsError(
        kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: "hsm-trust", CloudHsmClusterId: CLUSTER, TrustAnchorCertificate: certificate, KeyStorePassword: PIN })),
        "IncorrectTrustAnchorException",
        `The TrustAnchorCertificate is not the trust anchor certificate of CloudHSM cluster ${CLUSTER}.`,
      );
    }
    assert.equal((await kms.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores?.length ?? 0, 0);
  });

  it("a wrong kmsuser password FAILS the connection with INVALID_CREDENTIALS; the right one connects, and its keys encrypt in the token", async () => {
    const { CustomKeyStoreId: id } = await kms.send(
      new CreateCustomKeyStoreCommand({ CustomKeyStoreName: "hsm", CloudHsmClusterId: CLUSTER, TrustAnchorCertificate: trustAnchor, KeyStorePassword: "not-the-pin" }),
    );
    assert.equal((await state(id as string))?.CloudHsmClusterId, CLUSTER);
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: "hsm-again", CloudHsmClusterId: CLUSTER, TrustAnchorCertificate: trustAnchor, KeyStorePassword: PIN })),
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
    await expectAwsError(
      kms.send(new DecryptCommand({ CiphertextBlob })),
      "KMSInvalidStateException",
      "This KMS key is in a custom key store that is not connected to its AWS CloudHSM cluster. Connect the custom key store and try the request again.",
    );
  });
});
