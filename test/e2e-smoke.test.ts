import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CreateKeyCommand, DecryptCommand, EncryptCommand } from "@aws-sdk/client-kms";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";

describe("smoke", () => {
  let kmsd: Kmsd;
  before(async () => {
    kmsd = await startKmsd();
  });
  after(async () => kmsd.dispose());

  it("encrypts and decrypts through the SDK", async () => {
    const kms = kmsd.kms();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from("hello"), EncryptionContext: { a: "b" } }),
    );
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { a: "b" } }));
    assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), "hello");
    assert.equal(decrypted.KeyId, KeyMetadata?.Arn);
  });
});
