/**
 * The benchmarked operations: what each server needs set up (keys, ciphertexts,
 * signatures, made through its own API so the same code serves kmsd, the minimal server
 * and moto) and the pool of distinct requests each operation sends.
 */
import { randomBytes } from "node:crypto";
import type { CallSpec } from "../load/signing.ts";
import { inParallel, type KmsClient } from "./kmsClient.ts";

/** What a server supports: the minimal server only does symmetric encryption. */
export type Capability = "symmetric" | "full";

export interface Fixture {
  /** The one symmetric key of the single-key operations. */
  symmetricKey: string;
  /** ReEncrypt's destination. */
  otherSymmetricKey: string;
  /** 32-byte plaintexts encrypted under symmetricKey with CONTEXT(i). */
  ciphertexts: string[];
  hmacKey?: string;
  rsaKey?: string;
  eccKey?: string;
  rsaSignatures?: string[];
  eccSignatures?: string[];
  /** The mixed workload's keys and one ciphertext per key (under CONTEXT(key index)). */
  mixedKeys: string[];
  mixedCiphertexts: string[];
}

export interface Operation {
  /** Stable id (JSON). */
  id: string;
  /** As printed. */
  label: string;
  /** Servers with this capability (or more) run it. */
  needs: Capability;
  /** The raw-crypto baseline to compare with (bench/baseline/rawCrypto.ts), if any. */
  raw?: string;
  /** Whether the "p99 at half the saturating load" measurement is made for it. */
  halfLoad?: boolean;
  /** Builds `count` distinct calls. */
  calls(fixture: Fixture, count: number): CallSpec[];
}

/** The encryption context sent with every symmetric operation (16 tenants). */
export function context(index: number): Record<string, string> {
  return { app: "bench", tenant: `t${index % 16}` };
}

const b64 = (bytes: number) => randomBytes(bytes).toString("base64");
/** The messages signed and MACed: 256 bytes, distinct per call slot (MESSAGES[i % 64]). */
const MESSAGES = Array.from({ length: 64 }, () => b64(256));
const message = (index: number) => MESSAGES[index % MESSAGES.length] as string;
const call = (operation: string, input: unknown): CallSpec => ({ target: `TrentService.${operation}`, body: JSON.stringify(input) });
const times = (count: number, make: (index: number) => CallSpec) => Array.from({ length: count }, (_, index) => make(index));
const pickFrom = <T>(list: T[] | undefined, index: number): T => {
  if (!list || list.length === 0) throw new Error("fixture missing");
  return list[index % list.length] as T;
};
const required = (value: string | undefined): string => {
  if (value === undefined) throw new Error("fixture missing");
  return value;
};

/** A small deterministic PRNG (mulberry32), so a mixed pool is the same on every server. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 70% Decrypt, 20% GenerateDataKey, 10% Encrypt, each over a key drawn uniformly from `keys`. */
export function mixedCalls(keys: string[], ciphertexts: string[], count: number, seed = 7): CallSpec[] {
  const random = prng(seed);
  return times(count, () => {
    const k = Math.floor(random() * keys.length);
    const dice = random();
    if (dice < 0.7) return call("Decrypt", { CiphertextBlob: ciphertexts[k], EncryptionContext: context(k) });
    if (dice < 0.9) return call("GenerateDataKey", { KeyId: keys[k], KeySpec: "AES_256", EncryptionContext: context(k) });
    return call("Encrypt", { KeyId: keys[k], Plaintext: b64(32), EncryptionContext: context(k) });
  });
}

export const OPERATIONS: Operation[] = [
  {
    id: "encrypt-32",
    label: "Encrypt 32 B",
    needs: "symmetric",
    raw: "kdf + aes-256-gcm seal 32 B",
    halfLoad: true,
    calls: (f, n) => times(n, (i) => call("Encrypt", { KeyId: f.symmetricKey, Plaintext: b64(32), EncryptionContext: context(i) })),
  },
  {
    id: "encrypt-4k",
    label: "Encrypt 4 KiB",
    needs: "symmetric",
    raw: "kdf + aes-256-gcm seal 4 KiB",
    calls: (f, n) => times(n, (i) => call("Encrypt", { KeyId: f.symmetricKey, Plaintext: b64(4096), EncryptionContext: context(i) })),
  },
  {
    id: "decrypt",
    label: "Decrypt 32 B",
    needs: "symmetric",
    raw: "kdf + aes-256-gcm open 32 B",
    halfLoad: true,
    calls: (f, n) => times(n, (i) => call("Decrypt", { CiphertextBlob: pickFrom(f.ciphertexts, i), EncryptionContext: context(i % f.ciphertexts.length) })),
  },
  {
    id: "generate-data-key",
    label: "GenerateDataKey",
    needs: "symmetric",
    raw: "random 32 B + kdf + aes-256-gcm seal",
    halfLoad: true,
    calls: (f, n) => times(n, (i) => call("GenerateDataKey", { KeyId: f.symmetricKey, KeySpec: "AES_256", EncryptionContext: context(i) })),
  },
  {
    id: "re-encrypt",
    label: "ReEncrypt",
    needs: "symmetric",
    raw: "open + seal 32 B",
    calls: (f, n) =>
      times(n, (i) =>
        call("ReEncrypt", {
          CiphertextBlob: pickFrom(f.ciphertexts, i),
          SourceEncryptionContext: context(i % f.ciphertexts.length),
          DestinationKeyId: f.otherSymmetricKey,
          DestinationEncryptionContext: context(i),
        }),
      ),
  },
  {
    id: "generate-mac",
    label: "GenerateMac HMAC_256",
    needs: "full",
    raw: "hmac-sha256 256 B",
    calls: (f, n) => times(n, (i) => call("GenerateMac", { KeyId: required(f.hmacKey), Message: message(i), MacAlgorithm: "HMAC_SHA_256" })),
  },
  {
    id: "sign-rsa",
    label: "Sign RSA_2048 PSS",
    needs: "full",
    raw: "rsa-2048 pss sign",
    calls: (f, n) =>
      times(n, (i) => call("Sign", { KeyId: required(f.rsaKey), Message: message(i), MessageType: "RAW", SigningAlgorithm: "RSASSA_PSS_SHA_256" })),
  },
  {
    id: "verify-rsa",
    label: "Verify RSA_2048 PSS",
    needs: "full",
    raw: "rsa-2048 pss verify",
    calls: (f, n) =>
      times(n, (i) =>
        call("Verify", {
          KeyId: required(f.rsaKey),
          Message: message(i),
          MessageType: "RAW",
          SigningAlgorithm: "RSASSA_PSS_SHA_256",
          Signature: pickFrom(f.rsaSignatures, i),
        }),
      ),
  },
  {
    id: "sign-ecc",
    label: "Sign ECC_NIST_P256",
    needs: "full",
    raw: "ecdsa p-256 sign",
    calls: (f, n) => times(n, (i) => call("Sign", { KeyId: required(f.eccKey), Message: message(i), MessageType: "RAW", SigningAlgorithm: "ECDSA_SHA_256" })),
  },
  {
    id: "verify-ecc",
    label: "Verify ECC_NIST_P256",
    needs: "full",
    raw: "ecdsa p-256 verify",
    calls: (f, n) =>
      times(n, (i) =>
        call("Verify", {
          KeyId: required(f.eccKey),
          Message: message(i),
          MessageType: "RAW",
          SigningAlgorithm: "ECDSA_SHA_256",
          Signature: pickFrom(f.eccSignatures, i),
        }),
      ),
  },
  {
    id: "describe-key",
    label: "DescribeKey",
    needs: "full",
    calls: (f, n) => times(n, () => call("DescribeKey", { KeyId: f.symmetricKey })),
  },
  {
    id: "mixed",
    label: "Mixed 70/20/10 over 1,000 keys",
    needs: "symmetric",
    calls: (f, n) => mixedCalls(f.mixedKeys, f.mixedCiphertexts, Math.max(n, 2000)),
  },
  {
    id: "create-key",
    label: "CreateKey (durable)",
    needs: "full",
    calls: (_f, n) => times(n, (i) => call("CreateKey", { Description: `bench key ${i}` })),
  },
];

/** Makes the keys, ciphertexts and signatures the operations need, through the server's API. */
export async function prepareFixture(client: KmsClient, capability: Capability, options: { ciphertexts: number; mixedKeys: number }): Promise<Fixture> {
  const createKey = async (input: Record<string, unknown> = {}) =>
    (await client.call<{ KeyMetadata: { KeyId: string } }>("CreateKey", input)).KeyMetadata.KeyId;
  const encrypt = async (keyId: string, index: number) =>
    (await client.call<{ CiphertextBlob: string }>("Encrypt", { KeyId: keyId, Plaintext: b64(32), EncryptionContext: context(index) })).CiphertextBlob;
  const symmetricKey = await createKey();
  const otherSymmetricKey = await createKey();
  const ciphertexts = await inParallel(options.ciphertexts, 16, (i) => encrypt(symmetricKey, i));
  const mixedKeys = await inParallel(options.mixedKeys, 16, () => createKey());
  const mixedCiphertexts = await inParallel(mixedKeys.length, 16, (k) => encrypt(mixedKeys[k] as string, k));
  const fixture: Fixture = { symmetricKey, otherSymmetricKey, ciphertexts, mixedKeys, mixedCiphertexts };
  if (capability === "full") {
    fixture.hmacKey = await createKey({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
    fixture.rsaKey = await createKey({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" });
    fixture.eccKey = await createKey({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
    const signAll = (keyId: string, algorithm: string) =>
      inParallel(MESSAGES.length, 8, async (i) => {
        const { Signature } = await client.call<{ Signature: string }>("Sign", { KeyId: keyId, Message: message(i), MessageType: "RAW", SigningAlgorithm: algorithm });
        return Signature;
      });
    fixture.rsaSignatures = await signAll(fixture.rsaKey, "RSASSA_PSS_SHA_256");
    fixture.eccSignatures = await signAll(fixture.eccKey, "ECDSA_SHA_256");
    // The server must accept its own signatures, or Verify would measure failures.
    const { SignatureValid } = await client.call<{ SignatureValid: boolean }>("Verify", {
      KeyId: fixture.eccKey,
      Message: message(0),
      MessageType: "RAW",
      SigningAlgorithm: "ECDSA_SHA_256",
      Signature: fixture.eccSignatures[0],
    });
    if (SignatureValid !== true) throw new Error("the server does not verify its own ECDSA signature");
  }
  // Decrypt must give back what was encrypted (a server answering garbage would look fast).
  const probe = b64(32);
  const { CiphertextBlob } = await client.call<{ CiphertextBlob: string }>("Encrypt", { KeyId: symmetricKey, Plaintext: probe, EncryptionContext: context(3) });
  const { Plaintext } = await client.call<{ Plaintext: string }>("Decrypt", { CiphertextBlob, EncryptionContext: context(3) });
  if (Plaintext !== probe) throw new Error("Decrypt did not return the plaintext that was encrypted");
  return fixture;
}
