/**
 * Bit-flip sweep: every ciphertext, signature and MAC kmsd produces must be refused once
 * tampered with. For each blob (a symmetric Encrypt ciphertext, a GenerateDataKey blob, an
 * RSA-OAEP ciphertext, ECDSA, RSA-PSS, Ed25519 and ML-DSA signatures, an HMAC) the suite
 * flips bits, cuts it short and extends it, and checks that every variant is refused with
 * the error AWS gives (Decrypt: InvalidCiphertextException, or AccessDeniedException when
 * the flip renames the key the ciphertext refers to; Verify:
 * KMSInvalidSignatureException; VerifyMac: KMSInvalidMacException; a blob cut to nothing
 * fails validation), and that the untampered blob still works before and after.
 *
 * Bounded for CI: a blob of up to 128 bytes gets every bit flipped (symmetric ciphertexts,
 * ECDSA and Ed25519 signatures, MACs); one of up to 512 bytes every byte, with a mask that
 * cycles through the byte's eight bits and 0xff (RSA); a longer one (ML-DSA) that on a seeded
 * sample of 256 bytes, always including its first and last 64. KMSD_FLIP_EXHAUSTIVE=1 flips
 * every bit of every blob instead; KMSD_FUZZ_SEED replays the sample and the random extensions.
 */
import assert from "node:assert/strict";
import { Agent } from "node:http";
import { after, before, describe, it } from "node:test";
import { EncryptCommand, GenerateDataKeyCommand, GenerateMacCommand, SignCommand, type KeySpec, type KeyUsageType, type SigningAlgorithmSpec } from "@aws-sdk/client-kms";
import { forEachConcurrently } from "../support/concurrently.ts";
import { createKey } from "../support/e2e.ts";
import { rawRequest, startKmsd, type Kmsd } from "../support/kmsd.ts";
import { fuzzSeed, seededRandom } from "../support/seededRandom.ts";
import { internalErrorsLogged, outcomeOf, stopAndVerifyAudit, Tally } from "./oracle.ts";

const SEED = fuzzSeed();
const EXHAUSTIVE = process.env.KMSD_FLIP_EXHAUSTIVE === "1";
const EVERY_BIT_UP_TO_BYTES = EXHAUSTIVE ? Infinity : 128;
const EVERY_BYTE_UP_TO_BYTES = 512;
const SAMPLED_BYTES = 256;
const CONCURRENCY = 16;
const MESSAGE = Buffer.from("the bit-flip sweep's message");
const CONTEXT = { purpose: "bit-flip sweep" };

/** One blob under test: how to make it, and the request that checks a (possibly tampered) copy. */
interface Case {
  name: string;
  keySpec: KeySpec;
  keyUsage: KeyUsageType;
  /** Makes the genuine blob with the SDK. */
  make(kmsd: Kmsd, keyId: string): Promise<Buffer>;
  /** The operation and JSON body that check `blob`. */
  check(keyId: string, blob: Buffer): { operation: string; body: Record<string, unknown> };
  /** The error every tampered copy must get. */
  refusal: string;
  /**
   * The bytes [from, to) of the blob that name its key (the symmetric header's key id kind and
   * key id). A flip there names another key, which the caller cannot reach: AWS answers that
   * with AccessDeniedException (CIPHERTEXT_KEY_UNREACHABLE), so either refusal is right.
   */
  keyReference?: { from: number; to: number };
  /** What a genuine blob's check answers (a field of the 200 body and its value), when more than a 200 is needed. */
  accepted?: (body: Record<string, unknown>) => boolean;
}

const decrypt = (blob: Buffer, extra: Record<string, unknown> = {}) => ({
  operation: "Decrypt",
  body: { CiphertextBlob: blob.toString("base64"), EncryptionContext: CONTEXT, ...extra },
});
const verify = (algorithm: SigningAlgorithmSpec) => (keyId: string, blob: Buffer) => ({
  operation: "Verify",
  body: { KeyId: keyId, Message: MESSAGE.toString("base64"), Signature: blob.toString("base64"), SigningAlgorithm: algorithm },
});
const sign = (algorithm: SigningAlgorithmSpec) => async (kmsd: Kmsd, keyId: string) =>
  Buffer.from((await kmsd.kms().send(new SignCommand({ KeyId: keyId, Message: MESSAGE, SigningAlgorithm: algorithm }))).Signature ?? []);
const signatureValid = (body: Record<string, unknown>) => body.SignatureValid === true;

/** Bytes 1..17 of a symmetric ciphertext: key id kind and key id (src/crypto/ciphertext.ts). */
const SYMMETRIC_KEY_REFERENCE = { from: 1, to: 18 };

const CASES: readonly Case[] = [
  {
    name: "symmetric Encrypt ciphertext",
    keySpec: "SYMMETRIC_DEFAULT",
    keyUsage: "ENCRYPT_DECRYPT",
    make: async (kmsd, keyId) => Buffer.from((await kmsd.kms().send(new EncryptCommand({ KeyId: keyId, Plaintext: MESSAGE, EncryptionContext: CONTEXT }))).CiphertextBlob ?? []),
    check: (_keyId, blob) => decrypt(blob),
    refusal: "InvalidCiphertextException",
    keyReference: SYMMETRIC_KEY_REFERENCE,
    accepted: (body) => body.Plaintext === MESSAGE.toString("base64"),
  },
  {
    name: "GenerateDataKey ciphertext",
    keySpec: "SYMMETRIC_DEFAULT",
    keyUsage: "ENCRYPT_DECRYPT",
    make: async (kmsd, keyId) =>
      Buffer.from((await kmsd.kms().send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256", EncryptionContext: CONTEXT }))).CiphertextBlob ?? []),
    check: (_keyId, blob) => decrypt(blob),
    refusal: "InvalidCiphertextException",
    keyReference: SYMMETRIC_KEY_REFERENCE,
  },
  {
    name: "RSA_2048 RSAES_OAEP_SHA_256 ciphertext",
    keySpec: "RSA_2048",
    keyUsage: "ENCRYPT_DECRYPT",
    make: async (kmsd, keyId) =>
      Buffer.from((await kmsd.kms().send(new EncryptCommand({ KeyId: keyId, Plaintext: MESSAGE, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }))).CiphertextBlob ?? []),
    check: (keyId, blob) => ({ operation: "Decrypt", body: { KeyId: keyId, CiphertextBlob: blob.toString("base64"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256" } }),
    refusal: "InvalidCiphertextException",
    accepted: (body) => body.Plaintext === MESSAGE.toString("base64"),
  },
  { name: "ECC_NIST_P256 ECDSA_SHA_256 signature", keySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY", make: sign("ECDSA_SHA_256"), check: verify("ECDSA_SHA_256"), refusal: "KMSInvalidSignatureException", accepted: signatureValid },
  { name: "RSA_2048 RSASSA_PSS_SHA_256 signature", keySpec: "RSA_2048", keyUsage: "SIGN_VERIFY", make: sign("RSASSA_PSS_SHA_256"), check: verify("RSASSA_PSS_SHA_256"), refusal: "KMSInvalidSignatureException", accepted: signatureValid },
  { name: "ECC_NIST_EDWARDS25519 ED25519_SHA_512 signature", keySpec: "ECC_NIST_EDWARDS25519", keyUsage: "SIGN_VERIFY", make: sign("ED25519_SHA_512"), check: verify("ED25519_SHA_512"), refusal: "KMSInvalidSignatureException", accepted: signatureValid },
  { name: "ML_DSA_44 ML_DSA_SHAKE_256 signature", keySpec: "ML_DSA_44", keyUsage: "SIGN_VERIFY", make: sign("ML_DSA_SHAKE_256"), check: verify("ML_DSA_SHAKE_256"), refusal: "KMSInvalidSignatureException", accepted: signatureValid },
  {
    name: "HMAC_256 HMAC_SHA_256 MAC",
    keySpec: "HMAC_256",
    keyUsage: "GENERATE_VERIFY_MAC",
    make: async (kmsd, keyId) => Buffer.from((await kmsd.kms().send(new GenerateMacCommand({ KeyId: keyId, Message: MESSAGE, MacAlgorithm: "HMAC_SHA_256" }))).Mac ?? []),
    check: (keyId, blob) => ({ operation: "VerifyMac", body: { KeyId: keyId, Message: MESSAGE.toString("base64"), Mac: blob.toString("base64"), MacAlgorithm: "HMAC_SHA_256" } }),
    refusal: "KMSInvalidMacException",
    accepted: (body) => body.MacValid === true,
  },
];

/** A tampered copy of a blob and how it was made. */
interface Variant {
  kind: "flip" | "truncate" | "extend";
  label: string;
  /** The flipped byte's offset (flips only). */
  index?: number;
  blob: Buffer;
}

/** The bounded set of tampered copies of `blob` (see the file comment). */
function variantsOf(blob: Buffer, random: ReturnType<typeof seededRandom>): Variant[] {
  const flipped = (index: number, mask: number): Variant => {
    const copy = Buffer.from(blob);
    copy[index] = (copy[index] as number) ^ mask;
    return { kind: "flip", label: `byte ${index} ^ 0x${mask.toString(16)}`, index, blob: copy };
  };
  const variants: Variant[] = [];
  if (blob.length <= EVERY_BIT_UP_TO_BYTES) {
    for (let bit = 0; bit < blob.length * 8; bit++) variants.push(flipped(bit >> 3, 0x80 >> (bit & 7)));
  } else {
    const positions = new Set<number>();
    if (blob.length <= EVERY_BYTE_UP_TO_BYTES) for (let i = 0; i < blob.length; i++) positions.add(i);
    else {
      for (let i = 0; i < 64; i++) positions.add(i).add(blob.length - 1 - i);
      while (positions.size < SAMPLED_BYTES) positions.add(random.int(blob.length));
    }
    for (const index of [...positions].sort((a, b) => a - b)) variants.push(flipped(index, index % 9 === 8 ? 0xff : 1 << index % 9));
  }
  const cuts = new Set([0, 1, blob.length >> 1, blob.length - 2, blob.length - 1]);
  for (let i = 0; i < 16; i++) cuts.add(random.int(blob.length));
  for (const length of [...cuts].filter((n) => n >= 0 && n < blob.length).sort((a, b) => a - b)) {
    variants.push({ kind: "truncate", label: `cut to ${length} bytes`, blob: blob.subarray(0, length) });
  }
  for (const tail of [Buffer.from([0]), Buffer.from([0xff]), random.bytes(16), blob]) {
    variants.push({ kind: "extend", label: `${tail.length} bytes appended`, blob: Buffer.concat([blob, tail]) });
  }
  return variants;
}

describe(`adversarial: bit-flip sweep over ciphertexts, signatures and MACs (seed ${SEED}${EXHAUSTIVE ? ", every bit" : ""})`, () => {
  let kmsd: Kmsd;
  let agent: Agent;
  const random = seededRandom(SEED);
  const totals = new Tally();

  before(async () => {
    kmsd = await startKmsd();
    agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  });
  after(async (t) => {
    for (const line of [`seed ${SEED} (replay with KMSD_FUZZ_SEED=${SEED})`, ...totals.lines("tampered copies by outcome")]) t.diagnostic(line);
    agent.destroy();
    await kmsd.dispose();
  });

  const send = (check: { operation: string; body: Record<string, unknown> }) =>
    rawRequest(kmsd.endpoint, { target: `TrentService.${check.operation}`, body: JSON.stringify(check.body), sign: { credentials: kmsd.credentials }, agent, timeoutMs: 30_000 });

  for (const testCase of CASES) {
    it(`refuses every tampered ${testCase.name} with ${testCase.refusal}, and still accepts the genuine one`, async (t) => {
      const started = Date.now();
      const key = await createKey(kmsd.kms(), testCase.keySpec === "SYMMETRIC_DEFAULT" ? {} : { KeySpec: testCase.keySpec, KeyUsage: testCase.keyUsage });
      const genuine = await testCase.make(kmsd, key.KeyId);
      const acceptsGenuine = async (when: string) => {
        const response = await send(testCase.check(key.KeyId, genuine));
        assert.equal(response.status, 200, `the genuine blob ${when}: ${response.body}`);
        if (testCase.accepted) assert.ok(testCase.accepted(response.json()), `the genuine blob ${when} was not accepted: ${response.body}`);
      };
      await acceptsGenuine("before the sweep");

      const variants = variantsOf(genuine, random);
      const outcomes = new Tally();
      const accepted: string[] = [];
      const wrongError: string[] = [];
      await forEachConcurrently(variants, CONCURRENCY, async (variant) => {
        const response = await send(testCase.check(key.KeyId, variant.blob));
        const outcome = outcomeOf(response);
        outcomes.add(`${variant.kind}: ${outcome}`);
        totals.add(outcome);
        // A blob cut to nothing never reaches the crypto: the model's minimum length refuses it.
        const expected = variant.blob.length === 0 ? ["ValidationException"] : [testCase.refusal];
        const reference = testCase.keyReference;
        if (reference && variant.index !== undefined && variant.index >= reference.from && variant.index < reference.to) {
          expected.push("AccessDeniedException");
        }
        if (response.status === 200) accepted.push(`${variant.label}: ${response.body.slice(0, 200)}`);
        else if (!expected.some((type) => outcome === `400 ${type}`)) wrongError.push(`${variant.label}: ${response.status} ${response.body.slice(0, 200)}`);
      });
      await acceptsGenuine("after the sweep");

      t.diagnostic(`${genuine.length} bytes, ${variants.length} tampered copies, ${Date.now() - started} ms`);
      for (const line of outcomes.lines("outcomes")) t.diagnostic(line);
      assert.deepEqual(accepted.slice(0, 10), [], `${accepted.length} tampered copies were accepted`);
      assert.deepEqual(wrongError.slice(0, 10), [], `${wrongError.length} tampered copies got another answer than ${testCase.refusal}`);
    });
  }

  it("logged no internal error, and its audit trail verifies", async () => {
    const internalErrors = internalErrorsLogged(kmsd);
    assert.equal(internalErrors.total, 0, `kmsd logged internal errors:\n${internalErrors.lines("internal errors").join("\n")}`);
    await stopAndVerifyAudit(kmsd);
  });
});
