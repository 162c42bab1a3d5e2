/**
 * What the root-of-trust suites make on a node before they change its root of trust
 * (seal-migrate, rotate-root), and check afterwards: ciphertexts under symmetric and RSA
 * keys, an ECDSA signature, an HMAC, an IAM user's access key.
 */
import assert from "node:assert/strict";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { CreateKeyCommand, DecryptCommand, EncryptCommand, GenerateMacCommand, ListKeysCommand, SignCommand, VerifyCommand, VerifyMacCommand } from "@aws-sdk/client-kms";
import { iamClient } from "./audit.ts";
import type { Credentials, Kmsd } from "./kmsd.ts";

/** What a node made before its root of trust changed (a seal-migrate, a root key rotation), to be checked after it. */
export interface Made {
  ciphertexts: Array<{ ciphertext: Uint8Array; plaintext: string; keyId?: string; algorithm?: "RSAES_OAEP_SHA_256" }>;
  signature: { keyId: string; message: Buffer; signature: Uint8Array };
  mac: { keyId: string; message: Buffer; mac: Uint8Array };
  user: Credentials;
}

/** Makes keys of every kind, ciphertexts, a signature, a MAC and an IAM user with an access key. */
export async function makeThings(kmsd: Kmsd): Promise<Made> {
  const kms = kmsd.kms();
  const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
  const rsa = (await kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" }))).KeyMetadata?.KeyId ?? "";
  const signing = (await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))).KeyMetadata?.KeyId ?? "";
  const hmac = (await kms.send(new CreateKeyCommand({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }))).KeyMetadata?.KeyId ?? "";
  const ciphertexts: Made["ciphertexts"] = [];
  for (let i = 0; i < 5; i++) {
    const plaintext = `before the change ${i}`;
    ciphertexts.push({ plaintext, ciphertext: (await kms.send(new EncryptCommand({ KeyId: symmetric, Plaintext: Buffer.from(plaintext) }))).CiphertextBlob ?? new Uint8Array() });
  }
  ciphertexts.push({
    plaintext: "rsa",
    keyId: rsa,
    algorithm: "RSAES_OAEP_SHA_256",
    ciphertext: (await kms.send(new EncryptCommand({ KeyId: rsa, Plaintext: Buffer.from("rsa"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }))).CiphertextBlob ?? new Uint8Array(),
  });
  const message = Buffer.from("signed before");
  const signature = (await kms.send(new SignCommand({ KeyId: signing, Message: message, SigningAlgorithm: "ECDSA_SHA_256" }))).Signature ?? new Uint8Array();
  const mac = (await kms.send(new GenerateMacCommand({ KeyId: hmac, Message: message, MacAlgorithm: "HMAC_SHA_256" }))).Mac ?? new Uint8Array();
  const iam = iamClient(kmsd);
  await iam.send(new CreateUserCommand({ UserName: "migrant" }));
  await iam.send(new PutUserPolicyCommand({ UserName: "migrant", PolicyName: "kms", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] }) }));
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: "migrant" }));
  return {
    ciphertexts,
    signature: { keyId: signing, message, signature },
    mac: { keyId: hmac, message, mac },
    user: { accessKeyId: AccessKey?.AccessKeyId ?? "", secretAccessKey: AccessKey?.SecretAccessKey ?? "" },
  };
}

/** Checks that everything `makeThings` made still decrypts, verifies and signs. */
export async function checkThings(kmsd: Kmsd, made: Made): Promise<void> {
  const kms = kmsd.kms();
  for (const { ciphertext, plaintext, keyId, algorithm } of made.ciphertexts) {
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext, KeyId: keyId, EncryptionAlgorithm: algorithm }));
    assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), plaintext);
  }
  const verified = await kms.send(new VerifyCommand({ KeyId: made.signature.keyId, Message: made.signature.message, Signature: made.signature.signature, SigningAlgorithm: "ECDSA_SHA_256" }));
  assert.equal(verified.SignatureValid, true);
  const macValid = await kms.send(new VerifyMacCommand({ KeyId: made.mac.keyId, Message: made.mac.message, Mac: made.mac.mac, MacAlgorithm: "HMAC_SHA_256" }));
  assert.equal(macValid.MacValid, true);
  assert.ok((await kmsd.kms({ credentials: made.user }).send(new ListKeysCommand({}))).Keys?.length);
}
