/**
 * What authorization costs an Encrypt: the full per-request authorization of a key use
 * (condition context, caller's compiled policies, key policy, grants, evaluation) run
 * in-process, next to the rest of what an Encrypt does in-process (KDF + AES-GCM seal),
 * as a ratio. Realistic inputs: an IAM user with two identity policies (one with a
 * condition), the default key policy plus a statement with an encryption-context
 * condition, three grants, an encryption context of three pairs.
 *
 *   node_modules/.bin/node bench/authorization.ts [--seconds=2]
 *
 * In-process on purpose: over HTTP the difference drowns in the noise of a 2-core machine.
 * The ratio to a whole request uses the server CPU per Encrypt measured by `npm run bench`
 * (bench/results/*.json, latest), when there is one.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { Authorizer } from "../src/authorization/authorizer.ts";
import { sealSymmetric } from "../src/crypto/ciphertext.ts";
import type { Principal } from "../src/identity/principal.ts";
import type { KeyRecord } from "../src/keys/records.ts";
import type { RequestContext } from "../src/server/context.ts";
import { authorizeKeyUse } from "../src/services/kms/keyAccess.ts";

const seconds = Number(process.argv.find((a) => a.startsWith("--seconds="))?.slice(10) ?? "2");
const account = "111122223333";
const key: KeyRecord = {
  keyId: "1234abcd-12ab-34cd-56ef-1234567890ab",
  revision: 0,
  accountId: account,
  region: "us-east-1",
  createdAtMs: Date.now(),
  description: "",
  keySpec: "SYMMETRIC_DEFAULT",
  keyUsage: "ENCRYPT_DECRYPT",
  origin: "AWS_KMS",
  keyManager: "CUSTOMER",
  state: "Enabled",
  multiRegion: false,
  tags: [{ TagKey: "team", TagValue: "payments" }],
  currentKeyMaterialId: "a".repeat(64),
  policy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
      {
        Sid: "context",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "kms:Encrypt",
        Resource: "*",
        Condition: { StringNotEquals: { "kms:EncryptionContext:purpose": ["billing", "ledger"] } },
      },
    ],
  }),
};
const identityPolicies = [
  { id: "ANPAEXAMPLE1", version: "v1", source: "user-managed", name: "kms-use", document: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*" }] }) },
  { id: "user/AIDAEXAMPLE/net", version: "x", source: "user-inline", name: "net", document: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "kms:*", Resource: "*", Condition: { NotIpAddress: { "aws:SourceIp": ["127.0.0.0/8", "10.0.0.0/8"] } } }] }) },
] as const;
const principal = {
  kind: "IAMUser",
  accountId: account,
  arn: `arn:aws:iam::${account}:user/alice`,
  userId: "AIDAEXAMPLE",
  userName: "alice",
  path: "/",
  accessKeyId: "AKIAEXAMPLE",
  tags: {},
} as unknown as Principal;
const grants = [1, 2, 3].map((i) => ({
  grantId: String(i).repeat(64),
  keyId: key.keyId,
  accountId: account,
  region: "us-east-1",
  granteePrincipal: `arn:aws:iam::${account}:role/worker-${i}`,
  operations: ["Encrypt" as const, "Decrypt" as const],
  issuingAccount: `arn:aws:iam::${account}:root`,
  createdAtMs: 0,
}));
const authorizer = new Authorizer({ policiesOf: async () => ({ identity: identityPolicies as never, session: undefined }) });
const context = { purpose: "billing", tenant: "acme", region: "eu" };
const ctx = {
  requestId: "r",
  principal,
  accountId: account,
  region: "us-east-1",
  nowMs: Date.now(),
  input: { KeyId: key.keyId, EncryptionContext: context, Plaintext: new Uint8Array(32) },
  sourceIp: "127.0.0.1",
  secureTransport: false,
  userAgent: "bench",
  services: { authorizer, keys: { grants: async () => grants, aliasNames: async () => ["alias/payments"] } },
} as unknown as RequestContext;

async function rate(body: () => unknown): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) await body();
    n += 200;
  }
  return n / seconds;
}

const material = randomBytes(32);
const plaintext = randomBytes(32);
await rate(() => authorizeKeyUse(ctx, "Encrypt", key)); // warm-up
const authorizations = await rate(() => authorizeKeyUse(ctx, "Encrypt", key));
const seals = await rate(() => sealSymmetric({ keyId: key.keyId, keyMaterialId: key.currentKeyMaterialId ?? "" }, material, plaintext, context));
const authUs = 1e6 / authorizations;
const sealUs = 1e6 / seals;
const lines = [
  `authorization of an Encrypt (in-process): ${Math.round(authorizations).toLocaleString("en")}/s, ${authUs.toFixed(1)} µs each`,
  `KDF + AES-256-GCM seal of 32 B (in-process): ${Math.round(seals).toLocaleString("en")}/s, ${sealUs.toFixed(1)} µs each`,
];
const results = (() => {
  try {
    return readdirSync(new URL("results/", import.meta.url)).filter((f) => f.endsWith(".json")).sort();
  } catch {
    return [];
  }
})();
const latest = results.at(-1);
if (latest) {
  // The Encrypt 32 B figure of the latest full benchmark: its server CPU per request.
  const text = readFileSync(new URL(`results/${latest}`, import.meta.url), "utf8");
  const found = /"label":\s*"Encrypt 32 B".*?"serverCpuUsPerRequest":\s*([0-9.]+)/s.exec(text);
  if (found?.[1]) {
    const requestUs = Number(found[1]);
    lines.push(`server CPU per Encrypt request (${latest}): ${requestUs.toFixed(0)} µs → authorization is ${((100 * authUs) / requestUs).toFixed(1)}% of it`);
    lines.push(`Encrypt throughput without authorization would be at most ${(requestUs / (requestUs - authUs)).toFixed(3)}× (target: authorization < 10% slower)`);
  }
}
process.stdout.write(`${lines.join("\n")}\n`);
