/**
 * Seeded fuzzer over every operation kmsd answers: all of the KMS model's operations, the
 * IAM and STS operations it serves (Query protocol) and CloudTrail's LookupEvents. Inputs
 * are generated from the model's shapes (test/support/shapeFuzzer.ts), naming real keys in
 * several states and specs, real aliases, grants, ciphertexts and IAM entities made at
 * setup, and are sent SigV4-signed as raw HTTP, so malformed shapes reach the server.
 *
 * Must hold for every answer: not a 5xx; an error is `{"__type", "message"?}` (an
 * `<ErrorResponse>` for IAM/STS) with a type the operation's model declares or one every
 * AWS service may answer. Afterwards the server still answers, logged no internal error,
 * and `kmsd audit verify` accepts its data directory.
 *
 * KMSD_FUZZ_SEED replays a run (the seed is printed); KMSD_FUZZ_COUNT sets the number of
 * requests (default sized for CI).
 */
import assert from "node:assert/strict";
import { Agent } from "node:http";
import { after, before, describe, it } from "node:test";
import {
  CreateAliasCommand,
  CreateGrantCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ListKeysCommand,
  SignCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { CreateAccessKeyCommand, CreateGroupCommand, CreatePolicyCommand, CreateRoleCommand, CreateUserCommand } from "@aws-sdk/client-iam";
import { CLOUDTRAIL_MODEL } from "../../src/model/cloudtrail.generated.ts";
import { IAM_MODEL } from "../../src/model/iam.generated.ts";
import { KMS_MODEL, KMS_OPERATIONS } from "../../src/model/kms.generated.ts";
import { STS_MODEL } from "../../src/model/sts.generated.ts";
import type { ServiceModel } from "../../src/model/types.ts";
import { cloudTrailOperations } from "../../src/services/cloudtrail/registry.ts";
import { iamOperations } from "../../src/services/iam/iamOperations.ts";
import { stsOperations } from "../../src/services/sts/stsOperations.ts";
import { iamClient } from "../support/audit.ts";
import { forEachConcurrently } from "../support/concurrently.ts";
import { createKey, putKeyInState } from "../support/e2e.ts";
import { allow, policy, rootStatement } from "../support/identities.ts";
import { rawRequest, startKmsd, type Credentials, type Kmsd, type RawResponse } from "../support/kmsd.ts";
import { fuzzCount, fuzzSeed, seededRandom, type Random } from "../support/seededRandom.ts";
import { shapeFuzzer, toJsonText, toQueryForm, type FuzzDictionary } from "../support/shapeFuzzer.ts";
import { allowedErrors, internalErrorsLogged, jsonAnswerProblem, outcomeOf, queryAnswerProblem, stopAndVerifyAudit, Tally } from "./oracle.ts";

const SEED = fuzzSeed();
// About 40 s on two busy cores; the whole adversarial directory stays within a few minutes.
const COUNT = fuzzCount(2500);
const CONCURRENCY = 8;

type ServiceName = "kms" | "iam" | "sts" | "cloudtrail";

/** One operation to fuzz: its service, model and how its requests travel. */
interface Target {
  service: ServiceName;
  operation: string;
  model: ServiceModel;
}

/** Every operation the fuzzer covers, in a fixed order (each gets COUNT / targets.length requests). */
const TARGETS: readonly Target[] = [
  ...KMS_OPERATIONS.map((operation) => ({ service: "kms" as const, operation, model: KMS_MODEL })),
  ...Object.keys(iamOperations).map((operation) => ({ service: "iam" as const, operation, model: IAM_MODEL })),
  ...Object.keys(stsOperations).map((operation) => ({ service: "sts" as const, operation, model: STS_MODEL })),
  ...Object.keys(cloudTrailOperations).map((operation) => ({ service: "cloudtrail" as const, operation, model: CLOUDTRAIL_MODEL })),
];

const b64 = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString("base64");

/** Keys, aliases, grants, blobs and IAM entities made at setup, by the shape names that carry them. */
async function buildWorld(kmsd: Kmsd, random: Random): Promise<{ dictionaries: Record<ServiceName, FuzzDictionary>; userCredentials: Credentials }> {
  const kms = kmsd.kms();
  const account = kmsd.accountId;
  const keys = await Promise.all([
    createKey(kms),
    createKey(kms),
    createKey(kms),
    createKey(kms, { KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" }),
    createKey(kms, { KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }),
    createKey(kms, { KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }),
    createKey(kms, { KeySpec: "ECC_NIST_P256", KeyUsage: "KEY_AGREEMENT" }),
    createKey(kms, { KeySpec: "ECC_NIST_EDWARDS25519", KeyUsage: "SIGN_VERIFY" }),
    createKey(kms, { KeySpec: "ML_DSA_44", KeyUsage: "SIGN_VERIFY" }),
    createKey(kms, { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }),
    createKey(kms, { Origin: "EXTERNAL" }),
  ]);
  const [symmetric, disabled, pending, rsaEncrypt, rsaSign, eccSign, eccAgree, edSign, mlDsa, hmac, external] = keys.map((key) => key.KeyId) as [
    string, string, string, string, string, string, string, string, string, string, string,
  ];
  await putKeyInState(kms, disabled, "Disabled");
  await putKeyInState(kms, pending, "PendingDeletion");
  const aliases = ["alias/fuzz-symmetric", "alias/fuzz-rsa", "alias/fuzz-hmac"];
  await kms.send(new CreateAliasCommand({ AliasName: aliases[0], TargetKeyId: symmetric }));
  await kms.send(new CreateAliasCommand({ AliasName: aliases[1], TargetKeyId: rsaEncrypt }));
  await kms.send(new CreateAliasCommand({ AliasName: aliases[2], TargetKeyId: hmac }));

  const iam = iamClient(kmsd);
  const user = (await iam.send(new CreateUserCommand({ UserName: "fuzz-user" }))).User;
  const accessKey = (await iam.send(new CreateAccessKeyCommand({ UserName: "fuzz-user" }))).AccessKey;
  const trust = policy({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "sts:AssumeRole" });
  const role = (await iam.send(new CreateRoleCommand({ RoleName: "fuzz-role", AssumeRolePolicyDocument: trust }))).Role;
  await iam.send(new CreateGroupCommand({ GroupName: "fuzz-group" }));
  const identityPolicy = policy(allow(["kms:Encrypt", "kms:Decrypt"]));
  const managed = (await iam.send(new CreatePolicyCommand({ PolicyName: "fuzz-policy", PolicyDocument: identityPolicy }))).Policy;
  iam.destroy();
  if (!user?.Arn || !accessKey?.AccessKeyId || !accessKey.SecretAccessKey || !role?.Arn || !managed?.Arn) throw new Error("IAM setup answered without ids");

  const grant = await kms.send(
    new CreateGrantCommand({ KeyId: symmetric, GranteePrincipal: role.Arn, RetiringPrincipal: user.Arn, Operations: ["Encrypt", "Decrypt", "RetireGrant"] }),
  );
  const ciphertext = await kms.send(new EncryptCommand({ KeyId: symmetric, Plaintext: Buffer.from("fuzz"), EncryptionContext: { purpose: "fuzz" } }));
  const rsaCiphertext = await kms.send(new EncryptCommand({ KeyId: rsaEncrypt, Plaintext: Buffer.from("fuzz"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }));
  const signature = await kms.send(new SignCommand({ KeyId: eccSign, Message: Buffer.from("fuzz"), SigningAlgorithm: "ECDSA_SHA_256" }));
  const mac = await kms.send(new GenerateMacCommand({ KeyId: hmac, Message: Buffer.from("fuzz"), MacAlgorithm: "HMAC_SHA_256" }));
  const publicKey = await kms.send(new GetPublicKeyCommand({ KeyId: eccAgree }));
  const importParameters = await kms.send(new GetParametersForImportCommand({ KeyId: external, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }));

  const keyIds = [symmetric, disabled, pending, rsaEncrypt, rsaSign, eccSign, eccAgree, edSign, mlDsa, hmac, external];
  const arn = (id: string) => `arn:aws:kms:us-east-1:${account}:key/${id}`;
  const keyPolicy = policy(rootStatement(account));
  const principals = [`arn:aws:iam::${account}:root`, user.Arn, role.Arn, "*", `arn:aws:iam::111122223333:root`, "kms.amazonaws.com"];
  const someUuid = () => random.bytes(16).toString("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
  const kmsDictionary: FuzzDictionary = {
    KeyIdType: [
      ...keyIds,
      ...keyIds.map(arn),
      ...aliases,
      ...aliases.map((alias) => `arn:aws:kms:us-east-1:${account}:${alias}`),
      "alias/aws/ebs",
      someUuid(),
      arn(someUuid()),
      `arn:aws:kms:us-east-1:111122223333:key/${symmetric}`,
      `arn:aws:kms:eu-west-1:${account}:key/${symmetric}`,
      `mrk-${random.bytes(16).toString("hex")}`,
    ],
    AliasNameType: [...aliases, "alias/aws/fuzz", "alias/fuzz-new", "alias/AWS/x", "notalias/x"],
    CiphertextType: [b64(ciphertext.CiphertextBlob), b64(rsaCiphertext.CiphertextBlob), b64(signature.Signature), b64(mac.Mac), b64(importParameters.ImportToken)],
    PlaintextType: [Buffer.from("fuzz").toString("base64")],
    PublicKeyType: [b64(publicKey.PublicKey), b64(importParameters.PublicKey)],
    GrantIdType: [grant.GrantId ?? "", "0".repeat(64)],
    GrantTokenType: [grant.GrantToken ?? "", `${grant.GrantToken ?? ""}x`],
    GrantTokenList: [[grant.GrantToken ?? ""]],
    PrincipalIdType: principals,
    PolicyType: [keyPolicy, identityPolicy, "{}", "{", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*" }] })],
    PolicyNameType: ["default"],
    RegionType: ["us-east-1", "eu-west-1", "zz-nowhere-9"],
    AccountIdType: [account, "111122223333"],
    EncryptionContextType: [{ purpose: "fuzz" }],
  };
  const iamNames = {
    userNameType: ["fuzz-user", "nobody"],
    existingUserNameType: ["fuzz-user", "nobody"],
    roleNameType: ["fuzz-role", "nobody"],
    groupNameType: ["fuzz-group", "nobody"],
    arnType: [managed.Arn, role.Arn, user.Arn, `arn:aws:iam::aws:policy/ReadOnlyAccess`],
    accessKeyIdType: [accessKey.AccessKeyId],
    policyDocumentType: [identityPolicy, trust, "{}"],
    policyNameType: ["inline-fuzz"],
  };
  return {
    dictionaries: {
      kms: kmsDictionary,
      iam: iamNames,
      sts: { arnType: [role.Arn, user.Arn, managed.Arn], roleSessionNameType: ["fuzz-session"], sessionPolicyDocumentType: [identityPolicy] },
      cloudtrail: {},
    },
    userCredentials: { accessKeyId: accessKey.AccessKeyId, secretAccessKey: accessKey.SecretAccessKey },
  };
}

describe(`adversarial: seeded fuzzer over every operation's input shape (seed ${SEED}, ${COUNT} requests)`, () => {
  let kmsd: Kmsd;
  let agent: Agent;
  const random = seededRandom(SEED);
  const outcomes = new Tally();
  const mutations = new Tally();
  const perOperation = new Tally();

  before(async () => {
    kmsd = await startKmsd();
    agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  });
  after(async () => {
    agent.destroy();
    await kmsd.dispose();
  });

  it("answers every generated request below 500 with an error type the operation declares, then still serves and its audit trail verifies", async (t) => {
    const started = Date.now();
    const world = await buildWorld(kmsd, random);
    const fuzzers = {
      kms: shapeFuzzer(KMS_MODEL, random, world.dictionaries.kms),
      iam: shapeFuzzer(IAM_MODEL, random, world.dictionaries.iam),
      sts: shapeFuzzer(STS_MODEL, random, world.dictionaries.sts),
      cloudtrail: shapeFuzzer(CLOUDTRAIL_MODEL, random, world.dictionaries.cloudtrail),
    };
    // Requests are generated up front, in order, so the seed alone decides them (not the answers' timing).
    const requests = Array.from({ length: COUNT }, (_, i) => {
      const target = TARGETS[i % TARGETS.length] as Target;
      const input = fuzzers[target.service].input(target.operation);
      const credentials = random.chance(0.05) ? world.userCredentials : kmsd.credentials;
      return { target, input, credentials };
    });

    const problems: string[] = [];
    await forEachConcurrently(requests, CONCURRENCY, async ({ target, input, credentials }, index) => {
      let response: RawResponse;
      let body = "";
      try {
        if (target.service === "iam" || target.service === "sts") {
          const form = new URLSearchParams([["Action", target.operation], ["Version", target.model.metadata.apiVersion], ...toQueryForm(target.model, target.operation, input.value)]);
          body = form.toString();
          response = await rawRequest(kmsd.endpoint, {
            body,
            headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
            sign: { credentials, service: target.service },
            agent,
            timeoutMs: 30_000,
          });
        } else {
          body = toJsonText(input.value);
          const prefix = target.service === "kms" ? "TrentService" : "CloudTrail_20131101";
          response = await rawRequest(kmsd.endpoint, { target: `${prefix}.${target.operation}`, body, sign: { credentials, service: target.service }, agent, timeoutMs: 30_000 });
        }
      } catch (error) {
        problems.push(`#${index} ${target.service}:${target.operation}: no answer (${String(error)}); body ${body.slice(0, 300)}`);
        return;
      }
      const allowed = allowedErrors(target.service, target.operation);
      const problem = target.service === "iam" || target.service === "sts" ? queryAnswerProblem(response, allowed) : jsonAnswerProblem(response, allowed);
      outcomes.add(`${target.service} ${outcomeOf(response)}`);
      perOperation.add(`${target.service}:${target.operation}`);
      for (const mutation of input.mutations) mutations.add(mutation);
      if (problem !== undefined) {
        problems.push(`#${index} ${target.service}:${target.operation} [${[...input.mutations].join(",")}]: ${problem}\n    sent: ${body.slice(0, 300)}\n    got:  ${response.body.slice(0, 300)}`);
      }
    });
    const elapsed = Date.now() - started;

    for (const line of [`seed ${SEED} (replay with KMSD_FUZZ_SEED=${SEED})`, ...outcomes.lines("requests by outcome"), ...mutations.lines("mutations applied")]) t.diagnostic(line);
    t.diagnostic(`operations covered: ${TARGETS.filter((target) => perOperation.get(`${target.service}:${target.operation}`) > 0).length}/${TARGETS.length}; ${elapsed} ms`);

    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} unacceptable answers (seed ${SEED}); the first 20 are listed`);
    if (COUNT >= TARGETS.length) {
      for (const target of TARGETS) assert.ok(perOperation.get(`${target.service}:${target.operation}`) > 0, `${target.service}:${target.operation} never fuzzed`);
    }
    // Still up and serving.
    assert.equal(kmsd.process.exitCode, null, "kmsd exited");
    const kms: KMSClient = kmsd.kms();
    await kms.send(new ListKeysCommand({}));
    const internalErrors = internalErrorsLogged(kmsd);
    assert.equal(internalErrors.total, 0, `kmsd logged internal errors:\n${internalErrors.lines("internal errors").join("\n")}`);
    await stopAndVerifyAudit(kmsd);
  });
});
