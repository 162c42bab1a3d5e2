/**
 * The `kms` seal (auto-unseal): the root key is encrypted by a key of another
 * AWS-KMS-compatible service (AWS KMS itself, or another kmsd), with an encryption context
 * naming this deployment, and decrypted there at every start. Credentials come from the
 * AWS SDK's default provider chain (environment, shared files, instance roles...), never
 * from kmsd's flags or its data directory. The SDK is loaded only in this mode.
 */
import { randomUUID } from "node:crypto";
import { WrappingKey } from "../crypto/rootKey.ts";
import type { KmsSeal } from "./sealFile.ts";

/** Where the sealing key lives: --seal-key-id, --seal-endpoint, --seal-region. */
export interface KmsSealOptions {
  keyId: string;
  endpoint: string | undefined;
  region: string | undefined;
}

/** The encryption context's key that names the deployment. */
const DEPLOYMENT_CONTEXT_KEY = "kmsd:deployment";

async function kmsClient(options: Pick<KmsSealOptions, "endpoint" | "region">) {
  const { KMSClient } = await import("@aws-sdk/client-kms");
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (region === undefined || region === "") throw new Error("the kms seal needs a region: --seal-region, or AWS_REGION");
  return new KMSClient({
    region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    maxAttempts: 2,
    // A sealing service that hangs must not hang the start: the attempt fails, and is retried.
    requestHandler: { connectionTimeout: 5000, requestTimeout: 15_000 },
  });
}

/** Encrypts `rootKey` under the sealing key; returns the record to store. */
export async function sealWithKms(rootKey: WrappingKey, options: KmsSealOptions): Promise<KmsSeal> {
  const { EncryptCommand } = await import("@aws-sdk/client-kms");
  const client = await kmsClient(options);
  const encryptionContext = { [DEPLOYMENT_CONTEXT_KEY]: randomUUID() };
  try {
    const plaintext = rootKey.withBytes((bytes) => Buffer.from(bytes));
    try {
      const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: options.keyId, Plaintext: plaintext, EncryptionContext: encryptionContext }));
      if (CiphertextBlob === undefined) throw new Error("KMS Encrypt returned no CiphertextBlob");
      return { mode: "kms", keyId: options.keyId, encryptionContext, wrappedRootKey: Buffer.from(CiphertextBlob).toString("base64") };
    } finally {
      plaintext.fill(0);
    }
  } finally {
    client.destroy();
  }
}

/** Decrypts the root key through the sealing key's service. */
export async function unsealWithKms(seal: KmsSeal, options: Pick<KmsSealOptions, "endpoint" | "region">): Promise<WrappingKey> {
  const { DecryptCommand } = await import("@aws-sdk/client-kms");
  const client = await kmsClient(options);
  try {
    const { Plaintext } = await client.send(
      new DecryptCommand({ KeyId: seal.keyId, CiphertextBlob: Buffer.from(seal.wrappedRootKey, "base64"), EncryptionContext: seal.encryptionContext }),
    );
    if (Plaintext === undefined) throw new Error("KMS Decrypt returned no Plaintext");
    return WrappingKey.adopt(Plaintext);
  } finally {
    client.destroy();
  }
}

/** A failed auto-unseal, said in one line that names no secret (the SDK's error name and message). */
export function describeKmsFailure(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return String(error).slice(0, 300);
}
