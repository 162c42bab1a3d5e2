/**
 * Applies a seed file to a deployment, idempotently. First every resource of the file is
 * read from the deployment (no writes): one that is missing gets the steps that create it;
 * one that exists must match the file, else its differences are collected. If anything
 * differs, nothing is written and the start stops with the whole diff (SeedConflict); else
 * the steps run in the file's order, through the operations' own handlers (seedCaller.ts),
 * so AWS's validation applies and key material is wrapped by the root key like any other.
 * A second run with the same file finds everything and writes nothing.
 */
import { AwsError } from "../errors.ts";
import type { Services } from "../server/context.ts";
import { DEFAULT_REGION } from "../server/regions.ts";
import { createAccount } from "../identity/accounts.ts";
import { hasSecret } from "../identity/accessKeys.ts";
import { iamArn } from "../identity/arns.ts";
import { keyArn } from "../keys/records.ts";
import { createKey } from "../services/kms/operations/CreateKey.ts";
import { createAccessKey } from "../services/iam/operations/CreateAccessKey.ts";
import { defaultKeyPolicy } from "../services/kms/keyPolicy.ts";
import { fixedMaterial, fixedMaterialId } from "./fixedMaterial.ts";
import { SeedCaller } from "./seedCaller.ts";
import type { SeedAccessKey, SeedAccount, SeedFile, SeedGrant, SeedGroup, SeedKey, SeedPolicy, SeedPolicyHolder, SeedRole, SeedUser } from "./seedFile.ts";

/** The deployment holds resources of the file with other definitions; nothing was written. */
export class SeedConflict extends Error {}

/** A step of the file failed (an operation refused it); the steps before it were applied. */
export class SeedError extends Error {}

/** What applying changed: how many resources were created (0 on a second run). */
export interface SeedOutcome {
  created: number;
}

/** A SeedError naming the file line and the resource, and AWS's error type and message when an operation refused it. */
function failedAt(path: string, line: number, what: string, error: unknown): SeedError {
  if (error instanceof SeedError) return error;
  const reason = error instanceof AwsError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
  return new SeedError(`${path}:${line}: ${what}: ${reason}`);
}

/** One write of the plan, and the file line it comes from. */
interface Step {
  line: number;
  what: string;
  run(): Promise<void>;
}

/** Applies `seed` to the deployment behind `services`; throws SeedConflict (nothing written) or SeedError. */
export async function applySeed(seed: SeedFile, services: Services): Promise<SeedOutcome> {
  const plan = new Plan(seed.path);
  for (const account of seed.accounts) await planAccount(plan, services, account);
  if (plan.conflicts.length > 0) {
    throw new SeedConflict(`${seed.path}: the deployment differs from the seed file (nothing was changed):\n${plan.conflicts.join("\n")}`);
  }
  for (const step of plan.steps) {
    try {
      await step.run();
    } catch (error) {
      throw failedAt(seed.path, step.line, step.what, error);
    }
  }
  return { created: plan.created };
}

/** The writes to make and the differences found, collected before anything is written. */
class Plan {
  readonly steps: Step[] = [];
  readonly conflicts: string[] = [];
  created = 0;
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  /** Creates a resource (counted), then its parts. */
  create(line: number, what: string, run: () => Promise<unknown>): void {
    this.created++;
    this.add(line, what, run);
  }

  /** A further write of a resource being created (a membership, an attachment, a rotation setting...). */
  add(line: number, what: string, run: () => Promise<unknown>): void {
    this.steps.push({ line, what, run: async () => void (await run()) });
  }

  /** Plans one resource; a refusal while reading it (a name the model refuses, material that does not fit) names its line. */
  async at<T>(line: number, what: string, planOne: () => Promise<T>): Promise<T> {
    try {
      return await planOne();
    } catch (error) {
      throw failedAt(this.#path, line, what, error);
    }
  }

  /** Compares an existing resource field by field with the file; each difference is one line of the diff. */
  compare(line: number, what: string, stored: Record<string, unknown>, file: Record<string, unknown>): void {
    for (const [field, wanted] of Object.entries(file)) {
      const actual = stored[field];
      if (canonical(actual) === canonical(wanted)) continue;
      const shown = (value: unknown) => (field === "material" || field === "secret" ? "(not shown)" : canonical(value));
      this.conflicts.push(`${this.#path}:${line}: ${what}: ${field} is ${shown(actual)} in the deployment, ${shown(wanted)} in the file`);
    }
  }
}

/** A value in one canonical JSON text: object keys sorted, sets (arrays) sorted, policy documents parsed. */
function canonical(value: unknown): string {
  return JSON.stringify(normalize(value));
}

function normalize(value: unknown): unknown {
  if (value instanceof Map) return normalize(Object.fromEntries(value));
  if (Array.isArray(value)) return value.map(normalize).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

/** A policy document as a value to compare: its JSON parsed (text that is not JSON compares as text). */
function documentValue(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The resource, or undefined when the operation answers that it does not exist. */
async function ifExists<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof AwsError && (error.code === "NoSuchEntity" || error.code === "NotFoundException")) return undefined;
    throw error;
  }
}

async function planAccount(plan: Plan, services: Services, account: SeedAccount): Promise<void> {
  const { store, rootKey } = services;
  const caller = new SeedCaller(services, account.id);
  const [firstRootKey, ...otherRootKeys] = account.rootAccessKeys;
  if (!(await store.getAccount(account.id))) {
    // The account comes with its first root key; without one in the file, a random one nobody is shown (AWS accounts have none until made).
    plan.create(account.line, `account ${account.id}`, () =>
      createAccount(store, rootKey, account.id, services.clock.nowMs(), undefined, firstRootKey && { accessKeyId: firstRootKey.id, secretAccessKey: firstRootKey.secret }),
    );
    if (firstRootKey?.status === "Inactive") plan.add(firstRootKey.line, `access key ${firstRootKey.id}`, () => caller.iam("UpdateAccessKey", { AccessKeyId: firstRootKey.id, Status: "Inactive" }));
    for (const key of otherRootKeys) await planAccessKey(plan, caller, key, undefined);
  } else {
    for (const key of account.rootAccessKeys) await planAccessKey(plan, caller, key, undefined);
  }
  const policyArn = (name: string) => (name.startsWith("arn:") ? name : iamArn(account.id, "policy", account.policies.find((p) => p.name === name)?.path ?? "/", name));
  for (const policy of account.policies) await plan.at(policy.line, `policy ${policy.name}`, () => planPolicy(plan, caller, policy));
  for (const group of account.groups) await plan.at(group.line, `group ${group.name}`, () => planGroup(plan, caller, group, policyArn));
  for (const user of account.users) await plan.at(user.line, `user ${user.name}`, () => planUser(plan, caller, user, policyArn));
  for (const role of account.roles) await plan.at(role.line, `role ${role.name}`, () => planRole(plan, caller, role, policyArn));
  for (const key of account.keys) await plan.at(key.line, `key ${key.id}`, () => planKey(plan, caller, key));
}

async function planPolicy(plan: Plan, caller: SeedCaller, policy: SeedPolicy): Promise<void> {
  const arn = iamArn(caller.accountId, "policy", policy.path, policy.name);
    const existing = await ifExists(() => caller.iam("GetPolicy", { PolicyArn: arn }));
    const what = `policy ${policy.name}`;
    if (!existing?.Policy) {
      plan.create(policy.line, what, () =>
        caller.iam("CreatePolicy", { PolicyName: policy.name, Path: policy.path, PolicyDocument: policy.document, ...(policy.description === undefined ? {} : { Description: policy.description }) }),
      );
      return;
    }
    const version = await caller.iam("GetPolicyVersion", { PolicyArn: arn, VersionId: existing.Policy.DefaultVersionId ?? "v1" });
    plan.compare(policy.line, what, { document: documentValue(decodeURIComponent(version.PolicyVersion?.Document ?? "")), description: existing.Policy.Description }, { document: documentValue(policy.document), description: policy.description });
}

async function planGroup(plan: Plan, caller: SeedCaller, group: SeedGroup, policyArn: (name: string) => string): Promise<void> {
    const existing = await ifExists(() => caller.iam("GetGroup", { GroupName: group.name }));
    const what = `group ${group.name}`;
    if (!existing) {
      plan.create(group.line, what, () => caller.iam("CreateGroup", { GroupName: group.name, Path: group.path }));
      planPolicies(plan, caller, group, "Group", policyArn);
      return;
    }
    plan.compare(group.line, what, { path: existing.Group?.Path, ...(await storedPolicies(caller, "Group", group.name)) }, { path: group.path, ...filePolicies(group, policyArn) });
}

async function planUser(plan: Plan, caller: SeedCaller, user: SeedUser, policyArn: (name: string) => string): Promise<void> {
  const existing = await ifExists(() => caller.iam("GetUser", { UserName: user.name }));
  const what = `user ${user.name}`;
  if (!existing) {
    plan.create(user.line, what, () => caller.iam("CreateUser", { UserName: user.name, Path: user.path, ...tagList(user.tags) }));
    for (const group of user.groups) plan.add(user.line, `${what}: group ${group}`, () => caller.iam("AddUserToGroup", { UserName: user.name, GroupName: group }));
    planPolicies(plan, caller, user, "User", policyArn);
    for (const key of user.accessKeys) await planAccessKey(plan, caller, key, user.name);
    return;
  }
  const groups = await caller.iam("ListGroupsForUser", { UserName: user.name, MaxItems: 1000 });
  plan.compare(
    user.line,
    what,
    { path: existing.User?.Path, tags: tagMap(existing.User?.Tags), groups: (groups.Groups ?? []).map((g) => g.GroupName), ...(await storedPolicies(caller, "User", user.name)) },
    { path: user.path, tags: user.tags, groups: user.groups, ...filePolicies(user, policyArn) },
  );
  for (const key of user.accessKeys) await planAccessKey(plan, caller, key, user.name);
}

async function planRole(plan: Plan, caller: SeedCaller, role: SeedRole, policyArn: (name: string) => string): Promise<void> {
  const existing = await ifExists(() => caller.iam("GetRole", { RoleName: role.name }));
  const what = `role ${role.name}`;
  if (!existing?.Role) {
    plan.create(role.line, what, () =>
      caller.iam("CreateRole", {
        RoleName: role.name,
        Path: role.path,
        AssumeRolePolicyDocument: role.trustPolicy,
        ...(role.description === undefined ? {} : { Description: role.description }),
        ...(role.maxSessionDuration === undefined ? {} : { MaxSessionDuration: role.maxSessionDuration }),
        ...tagList(role.tags),
      }),
    );
    planPolicies(plan, caller, role, "Role", policyArn);
    return;
  }
  const stored = existing.Role;
  plan.compare(
    role.line,
    what,
    {
      path: stored.Path,
      trustPolicy: documentValue(decodeURIComponent(stored.AssumeRolePolicyDocument ?? "")),
      description: stored.Description,
      maxSessionDuration: stored.MaxSessionDuration,
      tags: tagMap(stored.Tags),
      ...(await storedPolicies(caller, "Role", role.name)),
    },
    {
      path: role.path,
      trustPolicy: documentValue(role.trustPolicy),
      description: role.description,
      maxSessionDuration: role.maxSessionDuration ?? 3600,
      tags: role.tags,
      ...filePolicies(role, policyArn),
    },
  );
}

type Holder = "User" | "Group" | "Role";

/** The attachments and inline policies of a new user, group or role. */
function planPolicies(plan: Plan, caller: SeedCaller, holder: SeedPolicyHolder, kind: Holder, policyArn: (name: string) => string): void {
  const nameField = `${kind}Name`;
  for (const policy of holder.policies) {
    plan.add(holder.line, `${kind.toLowerCase()} ${holder.name}: policy ${policy}`, () => caller.iam(`Attach${kind}Policy`, { [nameField]: holder.name, PolicyArn: policyArn(policy) }));
  }
  for (const [name, document] of holder.inlinePolicies) {
    plan.add(holder.line, `${kind.toLowerCase()} ${holder.name}: inline policy ${name}`, () => caller.iam(`Put${kind}Policy`, { [nameField]: holder.name, PolicyName: name, PolicyDocument: document }));
  }
}

/** The attached policies (ARNs) and inline policies (parsed documents by name) of a user, group or role, as stored. */
async function storedPolicies(caller: SeedCaller, kind: Holder, name: string): Promise<{ policies: string[]; inlinePolicies: Record<string, unknown> }> {
  const nameField = { [`${kind}Name`]: name };
  const attached = await caller.iam(`ListAttached${kind}Policies`, { ...nameField, MaxItems: 1000 });
  const inlineNames = await caller.iam(`List${kind}Policies`, { ...nameField, MaxItems: 1000 });
  const inlinePolicies: Record<string, unknown> = {};
  for (const policyName of inlineNames.PolicyNames ?? []) {
    const inline = await caller.iam(`Get${kind}Policy`, { ...nameField, PolicyName: policyName });
    inlinePolicies[policyName] = documentValue(decodeURIComponent(inline.PolicyDocument ?? ""));
  }
  return { policies: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ""), inlinePolicies };
}

function filePolicies(holder: SeedPolicyHolder, policyArn: (name: string) => string): { policies: string[]; inlinePolicies: Record<string, unknown> } {
  return { policies: holder.policies.map(policyArn), inlinePolicies: Object.fromEntries([...holder.inlinePolicies].map(([name, text]) => [name, documentValue(text)])) };
}

/** An access key of the account root (no user) or of a user: created if missing, else its owner, status and secret must match. */
async function planAccessKey(plan: Plan, caller: SeedCaller, key: SeedAccessKey, userName: string | undefined): Promise<void> {
  const { services } = caller;
  const stored = await services.store.identities.getAccessKey(key.id);
  const what = `access key ${key.id}`;
  const owner = userName === undefined ? "the account root" : `user ${userName}`;
  if (!stored) {
    plan.create(key.line, what, () => createAccessKey(caller.context(DEFAULT_REGION, {}), caller.iamInput("CreateAccessKey", userName === undefined ? {} : { UserName: userName }), { accessKeyId: key.id, secretAccessKey: key.secret }));
    if (key.status === "Inactive") plan.add(key.line, what, () => caller.iam("UpdateAccessKey", { AccessKeyId: key.id, Status: "Inactive", ...(userName === undefined ? {} : { UserName: userName }) }));
    return;
  }
  let storedOwner = "another account";
  if (stored.accountId === caller.accountId) {
    const user = stored.owner.kind === "user" ? await services.store.identities.getUser(caller.accountId, userName ?? "") : undefined;
    storedOwner = stored.owner.kind === "root" ? "the account root" : user && stored.owner.kind === "user" && user.userId === stored.owner.userId ? `user ${userName}` : "another user";
  }
  const sameSecret = storedOwner === owner && hasSecret(services.rootKey, stored, key.secret);
  plan.compare(key.line, what, { owner: storedOwner, status: stored.status, secret: sameSecret ? "same" : "other" }, { owner, status: key.status, secret: "same" });
}

async function planKey(plan: Plan, caller: SeedCaller, key: SeedKey): Promise<void> {
  const { accountId } = caller;
  const arn = keyArn({ region: key.region, accountId, keyId: key.id });
  const what = `key ${key.id}`;
  const kms = <Op extends Parameters<SeedCaller["kms"]>[1]>(operation: Op, input: Record<string, unknown>) => caller.kms(key.region, operation, input);
  const existing = await ifExists(() => kms("DescribeKey", { KeyId: arn }));
  // Checked now, so a conflict or a bad value stops the start before anything is written.
  const fixed = key.material;
  const material = fixed === undefined ? undefined : await plan.at(fixed.line, `${what}: material`, async () => fixedMaterial(key.id, key.keySpec, fixed.text));
  if (!existing?.KeyMetadata) {
    const input = caller.kmsInput("CreateKey", {
      Description: key.description,
      KeySpec: key.keySpec,
      ...(key.keyUsage === undefined ? {} : { KeyUsage: key.keyUsage }),
      ...(key.policy === undefined ? {} : { Policy: key.policy }),
      Tags: [...key.tags].map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
    });
    plan.create(key.line, what, () => createKey(caller.context(key.region, input as Record<string, unknown>), input, { keyId: key.id, ...(material ? { material } : {}) }));
    if (key.rotation?.enabled) {
      plan.add(key.line, `${what}: rotation`, () => kms("EnableKeyRotation", { KeyId: arn, ...(key.rotation?.periodInDays === undefined ? {} : { RotationPeriodInDays: key.rotation.periodInDays }) }));
    }
    if (!key.enabled) plan.add(key.line, `${what}: disable`, () => kms("DisableKey", { KeyId: arn }));
    for (const alias of key.aliases) plan.create(alias.line, alias.name, () => kms("CreateAlias", { AliasName: alias.name, TargetKeyId: arn }));
    for (const grant of key.grants) plan.create(grant.line, `grant ${grant.name}`, () => kms("CreateGrant", grantInput(arn, grant)));
    return;
  }
  const metadata = existing.KeyMetadata;
  const record = await caller.services.keys.find(key.id);
  const policy = await kms("GetKeyPolicy", { KeyId: arn, PolicyName: "default" });
  const tags = await kms("ListResourceTags", { KeyId: arn, Limit: 50 });
  const rotation = key.keySpec === "SYMMETRIC_DEFAULT" ? await kms("GetKeyRotationStatus", { KeyId: arn }) : undefined;
  plan.compare(
    key.line,
    what,
    {
      keySpec: metadata.KeySpec,
      keyUsage: metadata.KeyUsage,
      description: metadata.Description,
      state: metadata.KeyState,
      policy: documentValue(policy.Policy),
      tags: new Map((tags.Tags ?? []).map((tag) => [tag.TagKey, tag.TagValue])),
      ...(rotation ? { rotation: rotation.KeyRotationEnabled ? `every ${rotation.RotationPeriodInDays ?? 365} days` : "off" } : {}),
      ...(material ? { material: record?.currentKeyMaterialId } : {}),
    },
    {
      keySpec: key.keySpec,
      ...(key.keyUsage === undefined ? {} : { keyUsage: key.keyUsage }),
      description: key.description,
      state: key.enabled ? "Enabled" : "Disabled",
      policy: documentValue(key.policy ?? defaultKeyPolicy(accountId)),
      tags: key.tags,
      ...(rotation ? { rotation: key.rotation?.enabled ? `every ${key.rotation.periodInDays ?? 365} days` : "off" } : {}),
      ...(material ? { material: fixedMaterialId(key.id, material.bytes) } : {}),
    },
  );
  const services = caller.services;
  for (const alias of key.aliases) {
    const target = await services.keys.aliasTarget(accountId, key.region, alias.name);
    if (target === undefined) plan.create(alias.line, alias.name, () => kms("CreateAlias", { AliasName: alias.name, TargetKeyId: arn }));
    else plan.compare(alias.line, alias.name, { target }, { target: key.id });
  }
  const grants = (await kms("ListGrants", { KeyId: arn, Limit: 100 })).Grants ?? [];
  for (const grant of key.grants) {
    const stored = grants.find((candidate) => candidate.Name === grant.name);
    if (!stored) {
      plan.create(grant.line, `grant ${grant.name}`, () => kms("CreateGrant", grantInput(arn, grant)));
      continue;
    }
    plan.compare(
      grant.line,
      `grant ${grant.name}`,
      { grantee: stored.GranteePrincipal, retiringPrincipal: stored.RetiringPrincipal, operations: stored.Operations, constraints: stored.Constraints },
      { grantee: grant.grantee, retiringPrincipal: grant.retiringPrincipal, operations: grant.operations, constraints: constraintsOf(grant) },
    );
  }
}

function grantInput(keyArnText: string, grant: SeedGrant): Record<string, unknown> {
  const constraints = constraintsOf(grant);
  return {
    KeyId: keyArnText,
    Name: grant.name,
    GranteePrincipal: grant.grantee,
    Operations: grant.operations,
    ...(grant.retiringPrincipal === undefined ? {} : { RetiringPrincipal: grant.retiringPrincipal }),
    ...(constraints === undefined ? {} : { Constraints: constraints }),
  };
}

function constraintsOf(grant: SeedGrant): Record<string, Record<string, string>> | undefined {
  if (grant.encryptionContextSubset === undefined && grant.encryptionContextEquals === undefined) return undefined;
  return {
    ...(grant.encryptionContextSubset ? { EncryptionContextSubset: Object.fromEntries(grant.encryptionContextSubset) } : {}),
    ...(grant.encryptionContextEquals ? { EncryptionContextEquals: Object.fromEntries(grant.encryptionContextEquals) } : {}),
  };
}

function tagList(tags: Map<string, string>): { Tags?: Array<{ Key: string; Value: string }> } {
  return tags.size === 0 ? {} : { Tags: [...tags].map(([Key, Value]) => ({ Key, Value })) };
}

function tagMap(tags: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }> | undefined): Map<string, string> {
  return new Map((tags ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""]));
}
