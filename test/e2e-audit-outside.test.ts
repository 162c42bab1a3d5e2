/**
 * End to end: the audit trail checked from outside kmsd. The exported digest files'
 * signatures verify with OpenSSL against `kmsd audit public-key` (CloudTrail's
 * string-to-sign, built here from the digest itself, not with kmsd's code); and the
 * identity of an IAM user's and of a role session's calls reads back through
 * LookupEvents with every field CloudTrail gives it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { CreateRoleCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { CreateKeyCommand, EncryptCommand } from "@aws-sdk/client-kms";
import { cloudTrailClient } from "./support/audit.ts";
import { allow, policy, TestIdentities } from "./support/identities.ts";
import { runKmsdCli, startKmsd, type Kmsd } from "./support/kmsd.ts";

/** Every file below `dir`. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe("audit trail, checked from outside", () => {
  let kmsd: Kmsd;
  const identities = new TestIdentities(() => kmsd);
  const scratch = mkdtempSync(join(tmpdir(), "kmsd-audit-outside-"));
  let keyId: string;

  before(async () => {
    kmsd = await startKmsd({ dev: true });
    keyId = (await kmsd.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
  });
  after(async () => {
    identities.destroy();
    await kmsd.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("every exported digest's signature verifies with openssl and the exported public key; a changed digest does not", async () => {
    for (let hour = 0; hour < 2; hour++) {
      await kmsd.kms().send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("hour") }));
      await kmsd.advanceClock(3600);
    }
    const out = join(scratch, "export");
    const exported = await runKmsdCli(["audit", "export", "--data-dir", kmsd.dataDir, "--out", out]);
    assert.equal(exported.code, 0, exported.stderr);
    const publicKey = await runKmsdCli(["audit", "public-key", "--data-dir", kmsd.dataDir]);
    assert.equal(publicKey.code, 0, publicKey.stderr);
    const pem = join(scratch, "public.pem");
    writeFileSync(pem, publicKey.stdout);

    const digests = files(out).filter((path) => path.includes("/CloudTrail-Digest/") && path.endsWith(".json.gz"));
    assert.ok(digests.length >= 2, `digests exported: ${digests.length}`);
    for (const path of digests) {
      const inflated = gunzipSync(readFileSync(path));
      const digest = JSON.parse(inflated.toString("utf8")) as Record<string, string | null>;
      const toSign = [
        digest.digestEndTime,
        `${digest.digestS3Bucket}/${digest.digestS3Object}`,
        createHash("sha256").update(inflated).digest("hex"),
        digest.previousDigestSignature ?? "null",
      ].join("\n");
      const signature = join(scratch, "signature.bin");
      writeFileSync(signature, Buffer.from(readFileSync(`${path}.sig`, "utf8").trim(), "hex"));
      const verify = (data: string) => {
        const input = join(scratch, "signed.txt");
        writeFileSync(input, data);
        try {
          return execFileSync("openssl", ["dgst", "-sha256", "-verify", pem, "-signature", signature, input], { encoding: "utf8" }).trim();
        } catch (error) {
          return String((error as { stdout?: string }).stdout ?? error).trim();
        }
      };
      assert.equal(verify(toSign), "Verified OK", path);
      assert.notEqual(verify(toSign.replace(/\n[0-9a-f]{64}\n/, `\n${"0".repeat(64)}\n`)), "Verified OK", "another digest hash fails");
    }
  });

  it("an IAM user's and a role session's calls read back with their full userIdentity", async () => {
    const user = await identities.newUser("audited-user", policy(allow(["kms:Encrypt", "sts:AssumeRole"])));
    const iam = identities.iam();
    const roleName = identities.uniqueName("audited-role");
    const { Role: role } = await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: policy({ Effect: "Allow", Principal: { AWS: user.arn }, Action: "sts:AssumeRole" }),
      }),
    );
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: "encrypt", PolicyDocument: policy(allow("kms:Encrypt")) }));
    const { Credentials: session } = await identities.sts(user.credentials).send(new AssumeRoleCommand({ RoleArn: role?.Arn, RoleSessionName: "audit-check" }));
    const sessionCredentials = { accessKeyId: session?.AccessKeyId ?? "", secretAccessKey: session?.SecretAccessKey ?? "", sessionToken: session?.SessionToken ?? "" };
    await kmsd.kms({ credentials: user.credentials }).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("user") }));
    await kmsd.kms({ credentials: sessionCredentials }).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("session") }));

    const encryptBy = async (accessKeyId: string) => {
      const { Events } = await cloudTrailClient(kmsd).send(
        new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "AccessKeyId", AttributeValue: accessKeyId }], MaxResults: 50 }),
      );
      const event = (Events ?? []).find((candidate) => candidate.EventName === "Encrypt");
      assert.ok(event, `an Encrypt event of ${accessKeyId}`);
      return { event, record: JSON.parse(event.CloudTrailEvent ?? "{}") as { userIdentity: Record<string, unknown> } };
    };

    const byUser = await encryptBy(user.credentials.accessKeyId);
    assert.equal(byUser.event.Username, user.name);
    assert.deepEqual(byUser.record.userIdentity, {
      type: "IAMUser",
      principalId: byUser.record.userIdentity.principalId,
      arn: user.arn,
      accountId: kmsd.accountId,
      accessKeyId: user.credentials.accessKeyId,
      userName: user.name,
    });
    assert.match(String(byUser.record.userIdentity.principalId), /^AIDA[A-Z2-7]+$/);

    const bySession = await encryptBy(sessionCredentials.accessKeyId);
    assert.equal(bySession.event.Username, "audit-check");
    assert.deepEqual(bySession.record.userIdentity, {
      type: "AssumedRole",
      principalId: `${role?.RoleId}:audit-check`,
      arn: `arn:aws:sts::${kmsd.accountId}:assumed-role/${roleName}/audit-check`,
      accountId: kmsd.accountId,
      accessKeyId: sessionCredentials.accessKeyId,
      sessionContext: {
        sessionIssuer: { type: "Role", principalId: role?.RoleId, arn: role?.Arn, accountId: kmsd.accountId, userName: roleName },
        attributes: { mfaAuthenticated: "false" },
      },
    });
  });
});
