/** Records the conformance suites store: minimal, valid, each told apart by a counter. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chainHash, GENESIS_HASH } from "../../src/audit/canonicalJson.ts";
import type { AuditEvent } from "../../src/audit/events.ts";
import type { AuditStore } from "../../src/store/auditStore.ts";
import type { GrantRecord } from "../../src/keys/grants.ts";
import type { AliasRecord, NewKeyRecord, StoredAccessKey } from "../../src/keys/records.ts";
import type { GroupRecord, ManagedPolicyRecord, PolicyVersionRecord, RoleRecord, UserRecord } from "../../src/identity/records.ts";

export const ACCOUNT = "111111111111";
export const OTHER_ACCOUNT = "222222222222";
export const REGION = "us-east-1";
const T0 = 1_700_000_000_000;

let counter = 0;
/** A number no other fixture of this process has. */
function next(): number {
  counter += 1;
  return counter;
}

/** A 36-character id of the kind KMS gives keys, unique in this process. */
function uuidLike(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

export function newKey(accountId = ACCOUNT, region = REGION): NewKeyRecord {
  const n = next();
  return {
    keyId: uuidLike(n),
    accountId,
    region,
    createdAtMs: T0 + n,
    description: `key ${n}`,
    keySpec: "SYMMETRIC_DEFAULT",
    keyUsage: "ENCRYPT_DECRYPT",
    origin: "AWS_KMS",
    keyManager: "CUSTOMER",
    state: "Enabled",
    policy: "{}",
    tags: [],
    multiRegion: false,
  };
}

export function alias(aliasName: string, targetKeyId: string, accountId = ACCOUNT): AliasRecord {
  return { accountId, region: REGION, aliasName, targetKeyId, createdAtMs: T0, updatedAtMs: T0 };
}

export function grant(keyId: string, retiringPrincipal: string): GrantRecord {
  return {
    grantId: randomBytes(32).toString("hex"),
    keyId,
    accountId: ACCOUNT,
    region: REGION,
    granteePrincipal: `arn:aws:iam::${ACCOUNT}:root`,
    retiringPrincipal,
    operations: ["Encrypt"],
    issuingAccount: `arn:aws:iam::${ACCOUNT}:root`,
    createdAtMs: T0 + next(),
  };
}

export function rootAccessKey(accountId: string, accessKeyId = `AKIA${String(next()).padStart(16, "0")}`): StoredAccessKey {
  return { accessKeyId, accountId, owner: { kind: "root" }, wrappedSecret: randomBytes(60), status: "Active", createdAtMs: T0 };
}

export function user(userName: string, path = "/"): UserRecord {
  return { accountId: ACCOUNT, userId: `AIDA${String(next()).padStart(17, "0")}`, userName, path, createdAtMs: T0, tags: [] };
}

export function group(groupName: string): GroupRecord {
  return { accountId: ACCOUNT, groupId: `AGPA${String(next()).padStart(17, "0")}`, groupName, path: "/", createdAtMs: T0 };
}

export function role(roleName: string): RoleRecord {
  return {
    accountId: ACCOUNT,
    roleId: `AROA${String(next()).padStart(17, "0")}`,
    roleName,
    path: "/",
    assumeRolePolicyDocument: "{}",
    description: undefined,
    maxSessionDurationSeconds: 3600,
    createdAtMs: T0,
    tags: [],
  };
}

export function managedPolicy(policyName: string): { policy: ManagedPolicyRecord; firstVersion: PolicyVersionRecord } {
  const policyId = `ANPA${String(next()).padStart(17, "0")}`;
  return {
    policy: { accountId: ACCOUNT, policyId, policyName, path: "/", description: undefined, defaultVersionId: "v1", createdAtMs: T0, updatedAtMs: T0, tags: [], attachmentCount: 0 },
    firstVersion: { policyId, versionId: "v1", document: '{"Version":"2012-10-17","Statement":[]}', createdAtMs: T0 },
  };
}

/** An audit event of `accountId`'s trail in `region`, at T0 + `offsetMs` (default: the counter). */
export function auditEvent(accountId = ACCOUNT, region = REGION, offsetMs?: number): AuditEvent {
  const n = next();
  const eventId = uuidLike(n);
  return {
    accountId,
    region,
    timeMs: T0 + (offsetMs ?? n),
    eventId,
    eventName: n % 2 === 0 ? "Encrypt" : "CreateKey",
    eventSource: "kms.amazonaws.com",
    readOnly: n % 2 === 0,
    username: "root",
    accessKeyId: "AKIAEXAMPLE",
    requestId: `req-${n}`,
    resources: [{ type: "AWS::KMS::Key", name: `arn:aws:kms:${region}:${accountId}:key/${uuidLike(n)}` }],
    record: JSON.stringify({ eventID: eventId, n }),
  };
}

/** Asserts that a chain is records 1..lastSeq (or firstSeq..), each hashed after the previous one. */
export async function assertWholeChain(audit: AuditStore, accountId: string, region: string, length: number): Promise<void> {
  const chain = await audit.chain(accountId, region);
  assert.equal(chain?.lastSeq, length);
  const records = await audit.records(accountId, region, 1, length);
  assert.deepEqual(
    records.map((record) => record.seq),
    Array.from({ length }, (_, index) => index + 1),
  );
  let hash = GENESIS_HASH;
  for (const record of records) {
    assert.equal(record.prevHash, hash, `seq ${record.seq} chains to the one before`);
    assert.equal(record.hash, chainHash(hash, record.record));
    hash = record.hash;
  }
  assert.equal(chain?.lastHash, hash);
}
