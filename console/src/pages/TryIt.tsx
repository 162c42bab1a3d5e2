/**
 * Try a key: encrypt, decrypt, re-encrypt, sign, verify, generate a data key, a data key pair
 * or a MAC, derive a shared secret (ECDH), with an encryption context, showing the signed
 * request exactly as sent and the answer. Plaintext typed here goes only into the signed
 * request to kmsd.
 */
import { useState } from "preact/hooks";
import {
  DecryptCommand, DeriveSharedSecretCommand, EncryptCommand, GenerateDataKeyCommand, GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand, GenerateMacCommand, ReEncryptCommand, SignCommand, VerifyCommand, VerifyMacCommand,
  type DataKeyPairSpec, type MacAlgorithmSpec, type SigningAlgorithmSpec,
} from "@aws-sdk/client-kms";
import type { Session } from "../session.ts";
import { ErrorBox, Field, json, Title, useAction } from "../ui.tsx";
import { contextOf, ContextRows, type ContextRow } from "../components/ContextRows.tsx";
import { captureSentRequest, type SentRequest } from "../sentRequest.ts";
import { derFromPem, fromBase64, toBase64 } from "../pem.ts";

const OPERATIONS = [
  "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
  "Sign", "Verify", "GenerateMac", "VerifyMac", "DeriveSharedSecret",
] as const;
type Operation = (typeof OPERATIONS)[number];

/** What each operation's main input is. */
const INPUT_LABEL: Record<Operation, string> = {
  Encrypt: "Plaintext (text)",
  Decrypt: "Ciphertext blob (base64)",
  ReEncrypt: "Ciphertext blob (base64)",
  GenerateDataKey: "",
  GenerateDataKeyPair: "",
  GenerateDataKeyPairWithoutPlaintext: "",
  Sign: "Message (text)",
  Verify: "Message (text)",
  GenerateMac: "Message (text)",
  VerifyMac: "Message (text)",
  DeriveSharedSecret: "Other party's public key (PEM or base64 DER)",
};

/** The key pair specs GenerateDataKeyPair offers (AWS's DataKeyPairSpec). */
const KEY_PAIR_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "SM2"];

const text = new TextEncoder();

/** Try it for the key in the route; following a link to another key's Try it starts afresh (no context or input left from the last key). */
export function TryItPage({ session, keyId }: { session: Session; keyId: string }) {
  return <TryItForm key={keyId} session={session} keyId={keyId} />;
}

function TryItForm({ session, keyId: initialKeyId }: { session: Session; keyId: string }) {
  const [keyId, setKeyId] = useState(initialKeyId);
  const [operation, setOperation] = useState<Operation>("Encrypt");
  const [input, setInput] = useState("");
  const [signature, setSignature] = useState("");
  const [algorithm, setAlgorithm] = useState("");
  const [context, setContext] = useState<ContextRow[]>([]);
  const [destinationContext, setDestinationContext] = useState<ContextRow[]>([]);
  const [sourceKeyId, setSourceKeyId] = useState("");
  const [keyPairSpec, setKeyPairSpec] = useState("ECC_NIST_P256");
  const [sent, setSent] = useState<SentRequest | undefined>();
  const [result, setResult] = useState<Record<string, unknown> | undefined>();

  const run = useAction(async () => {
    setSent(undefined);
    setResult(undefined);
    const EncryptionContext = contextOf(context);
    const command = (() => {
      switch (operation) {
        case "Encrypt": return new EncryptCommand({ KeyId: keyId, Plaintext: text.encode(input), EncryptionContext });
        case "Decrypt": return new DecryptCommand({ KeyId: keyId || undefined, CiphertextBlob: fromBase64(input), EncryptionContext });
        case "ReEncrypt": return new ReEncryptCommand({
          CiphertextBlob: fromBase64(input), SourceKeyId: sourceKeyId || undefined, SourceEncryptionContext: EncryptionContext,
          DestinationKeyId: keyId, DestinationEncryptionContext: contextOf(destinationContext),
        });
        case "GenerateDataKey": return new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256", EncryptionContext });
        case "GenerateDataKeyPair": return new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: keyPairSpec as DataKeyPairSpec, EncryptionContext });
        case "GenerateDataKeyPairWithoutPlaintext": return new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: keyId, KeyPairSpec: keyPairSpec as DataKeyPairSpec, EncryptionContext });
        case "Sign": return new SignCommand({ KeyId: keyId, Message: text.encode(input), MessageType: "RAW", SigningAlgorithm: algorithm as SigningAlgorithmSpec });
        case "Verify": return new VerifyCommand({ KeyId: keyId, Message: text.encode(input), MessageType: "RAW", SigningAlgorithm: algorithm as SigningAlgorithmSpec, Signature: fromBase64(signature) });
        case "GenerateMac": return new GenerateMacCommand({ KeyId: keyId, Message: text.encode(input), MacAlgorithm: algorithm as MacAlgorithmSpec });
        case "VerifyMac": return new VerifyMacCommand({ KeyId: keyId, Message: text.encode(input), MacAlgorithm: algorithm as MacAlgorithmSpec, Mac: fromBase64(signature) });
        case "DeriveSharedSecret": return new DeriveSharedSecretCommand({ KeyId: keyId, KeyAgreementAlgorithm: "ECDH", PublicKey: derFromPem(input) ?? fromBase64(input) });
      }
    })();
    captureSentRequest(command.middlewareStack as never, setSent);
    const out = (await session.kms.send(command as never)) as unknown as Record<string, unknown>;
    setResult(readable(out));
  });

  const needsAlgorithm = ["Sign", "Verify", "GenerateMac", "VerifyMac"].includes(operation);
  const needsSignature = operation === "Verify" || operation === "VerifyMac";
  const takesContext = ["Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"].includes(operation);
  const makesKeyPair = operation.startsWith("GenerateDataKeyPair");
  return (
    <section>
      <Title>Try it</Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run.run();
        }}
      >
        <Field label={operation === "ReEncrypt" ? "Destination key (ID, ARN or alias)" : "Key (ID, ARN or alias)"}>
          <input name="keyId" value={keyId} onInput={(e) => setKeyId(e.currentTarget.value)} />
        </Field>
        <Field label="Operation">
          <select name="operation" value={operation} onChange={(e) => setOperation(e.currentTarget.value as Operation)}>
            {OPERATIONS.map((o) => <option key={o}>{o}</option>)}
          </select>
        </Field>
        {INPUT_LABEL[operation] ? (
          <Field label={INPUT_LABEL[operation]}>
            <textarea name="input" rows={4} value={input} onInput={(e) => setInput(e.currentTarget.value)} />
          </Field>
        ) : null}
        {needsAlgorithm ? (
          <Field label={operation.includes("Mac") ? "MAC algorithm" : "Signing algorithm"}>
            <select name="algorithm" value={algorithm} onChange={(e) => setAlgorithm(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {(operation.includes("Mac")
                ? ["HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384", "HMAC_SHA_512"]
                : ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512", "ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512", "ED25519_SHA_512", "ML_DSA_SHAKE_256", "SM2DSA"]
              ).map((a) => <option key={a}>{a}</option>)}
            </select>
          </Field>
        ) : null}
        {needsSignature ? (
          <Field label={operation === "VerifyMac" ? "MAC (base64)" : "Signature (base64)"}>
            <textarea name="signature" rows={3} value={signature} onInput={(e) => setSignature(e.currentTarget.value)} />
          </Field>
        ) : null}
        {operation === "ReEncrypt" ? (
          <Field label="Source key (optional for symmetric keys)">
            <input name="sourceKeyId" value={sourceKeyId} onInput={(e) => setSourceKeyId(e.currentTarget.value)} />
          </Field>
        ) : null}
        {makesKeyPair ? (
          <Field label="Key pair spec">
            <select name="keyPairSpec" value={keyPairSpec} onChange={(e) => setKeyPairSpec(e.currentTarget.value)}>
              {KEY_PAIR_SPECS.map((spec) => <option key={spec}>{spec}</option>)}
            </select>
          </Field>
        ) : null}
        {takesContext ? <ContextRows rows={context} onChange={setContext} label={operation === "ReEncrypt" ? "Source encryption context" : "Encryption context"} /> : null}
        {operation === "ReEncrypt" ? <ContextRows rows={destinationContext} onChange={setDestinationContext} label="Destination encryption context" /> : null}
        <button type="submit" disabled={run.busy}>Run {operation}</button>
      </form>
      <ErrorBox error={run.error} />
      {sent ? (
        <section aria-labelledby="sent-heading">
          <h2 id="sent-heading">Request sent</h2>
          <pre class="code" tabIndex={0} data-testid="sent-request">{`${sent.method} ${sent.path}\n${Object.entries(sent.headers).map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${prettyBody(sent.body)}`}</pre>
        </section>
      ) : null}
      {result ? (
        <section aria-labelledby="result-heading">
          <h2 id="result-heading">Response</h2>
          <pre class="code" tabIndex={0} data-testid="result">{json(result)}</pre>
        </section>
      ) : null}
    </section>
  );
}

/** The response with bytes as base64 (ciphertexts, signatures) and Plaintext also as text. */
function readable(out: Record<string, unknown>): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(out)) {
    if (name === "$metadata") continue;
    shown[name] = value instanceof Uint8Array ? toBase64(value) : value;
    if (name === "Plaintext" && value instanceof Uint8Array) shown.PlaintextAsText = new TextDecoder().decode(value);
  }
  return shown;
}

function prettyBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
