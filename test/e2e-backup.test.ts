/**
 * End to end: `kmsd backup` while a server runs and writes, then `kmsd restore` into a
 * new directory. After restore every key acknowledged before the backup started exists
 * and every ciphertext returned before it decrypts; `kmsd audit verify` finds the restored
 * trail intact; a damaged backup or another root key restores nothing.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, type KMSClient } from "@aws-sdk/client-kms";
import { runKmsdCli, startKmsd, type Kmsd } from "./support/kmsd.ts";

describe("kmsd backup and restore", () => {
  let work: string;
  let kmsd: Kmsd;
  let kms: KMSClient;
  const backupFile = () => join(work, "kmsd.backup");

  /** Before the backup started: the keys CreateKey acknowledged, the ciphertexts Encrypt returned. */
  const keysBefore: string[] = [];
  const ciphertextsBefore: Array<{ keyId: string; blob: Uint8Array; plaintext: string }> = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "kmsd-backup-test-"));
    kmsd = await startKmsd({ dataDir: join(work, "data"), dev: true });
    kms = kmsd.kms();

    // A burst of CreateKey + Encrypt from several lanes; the backup starts in the middle of it.
    let backupStarted = Number.POSITIVE_INFINITY;
    let stop = false;
    const lane = async (index: number) => {
      for (let n = 0; !stop; n++) {
        const keyId = (await kms.send(new CreateKeyCommand({ Description: `burst ${index}/${n}` }))).KeyMetadata?.KeyId ?? "";
        const acknowledgedAt = performance.now();
        if (acknowledgedAt < backupStarted) keysBefore.push(keyId);
        const plaintext = `lane ${index} message ${n}`;
        const blob = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(plaintext) }))).CiphertextBlob ?? new Uint8Array();
        if (performance.now() < backupStarted) ciphertextsBefore.push({ keyId, blob, plaintext });
      }
    };
    const lanes = Promise.all(Array.from({ length: 6 }, (_, index) => lane(index)));
    // Some keys and ciphertexts first (how fast depends on the machine's disk).
    for (const deadline = Date.now() + 20_000; ciphertextsBefore.length < 20 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    backupStarted = performance.now();
    const result = await runKmsdCli(["backup", "--data-dir", kmsd.dataDir, "--out", backupFile()]);
    stop = true;
    await lanes;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /the root key is not in the backup/);
  });
  after(async () => {
    await kmsd.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it("the backup holds neither the root key nor the credentials file", () => {
    const backup = readFileSync(backupFile());
    const rootKey = readFileSync(join(kmsd.dataDir, "root.key"));
    assert.equal(backup.indexOf(rootKey), -1, "the root key's bytes are not in the backup");
    const manifest = JSON.parse(backup.toString("utf8").split("\n")[1] ?? "") as { files: Array<{ path: string }> };
    assert.ok(!manifest.files.some((file) => file.path === "root.key" || file.path === "credentials"));
  });

  it("restored, every key acknowledged before the backup exists and every ciphertext returned before it decrypts", async () => {
    assert.ok(ciphertextsBefore.length >= 20, `the burst wrote before the backup (${keysBefore.length} keys)`);
    const restored = join(work, "restored");
    const result = await runKmsdCli(["restore", "--from", backupFile(), "--data-dir", restored, "--root-key", join(kmsd.dataDir, "root.key")]);
    assert.equal(result.code, 0, result.stderr);

    const verify = await runKmsdCli(["audit", "verify", "--data-dir", restored, "--json"]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal((JSON.parse(verify.stdout) as { ok: boolean }).ok, true);

    // The credentials file is the operator's (it holds a secret), not the backup's.
    copyFileSync(join(kmsd.dataDir, "credentials"), join(restored, "credentials"));
    const second = await startKmsd({ dataDir: restored });
    try {
      const client = second.kms();
      for (const keyId of keysBefore) {
        assert.equal((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyId, keyId);
      }
      for (const { keyId, blob, plaintext } of ciphertextsBefore) {
        const decrypted = await client.send(new DecryptCommand({ CiphertextBlob: blob }));
        assert.equal(decrypted.KeyId?.endsWith(keyId), true);
        assert.equal(Buffer.from(decrypted.Plaintext ?? new Uint8Array()).toString(), plaintext);
      }
    } finally {
      await second.stop();
    }
  });

  it("a damaged backup is refused and leaves no directory behind", async () => {
    const damaged = join(work, "damaged.backup");
    const bytes = readFileSync(backupFile());
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(damaged, bytes);
    const target = join(work, "from-damaged");
    const result = await runKmsdCli(["restore", "--from", damaged, "--data-dir", target]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /damaged/);
    assert.equal(existsSync(target), false);
  });

  it("another root key is refused before anything is written", async () => {
    const otherKey = join(work, "other.key");
    writeFileSync(otherKey, Buffer.alloc(32, 7), { mode: 0o600 });
    const target = join(work, "other-root");
    const result = await runKmsdCli(["restore", "--from", backupFile(), "--data-dir", target, "--root-key", otherKey]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /not the root key this backup was made with/);
    assert.equal(existsSync(target), false);
  });
});
