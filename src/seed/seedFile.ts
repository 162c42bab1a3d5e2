/**
 * The seed file (`kmsd serve --init FILE.yaml`, `kmsd init --check FILE.yaml`): accounts with
 * their identities and KMS keys, read from YAML into typed records that each remember the
 * line they start on. This module checks only the file's shape (known fields, types, the
 * formats kmsd itself fixes: account, key and access key ids); everything AWS validates is
 * checked when the seed is applied, by the operations themselves (applySeed.ts).
 * docs/seed-file.md describes the format.
 */
import { isMap, isScalar, isSeq, type Node, type Pair } from "yaml";
import { readYamlFile } from "../cli/configFile.ts";
import { UsageError } from "../cli/usageError.ts";
import { DEFAULT_REGION } from "../server/regions.ts";

/** Where a record starts in the file. */
export interface Located {
  line: number;
}

/** A seed file, read and shape-checked. */
export interface SeedFile {
  path: string;
  accounts: SeedAccount[];
}

export interface SeedAccount extends Located {
  id: string;
  rootAccessKeys: SeedAccessKey[];
  policies: SeedPolicy[];
  groups: SeedGroup[];
  users: SeedUser[];
  roles: SeedRole[];
  keys: SeedKey[];
}

export interface SeedAccessKey extends Located {
  id: string;
  secret: string;
  status: "Active" | "Inactive";
}

/** A customer managed IAM policy. */
export interface SeedPolicy extends Located {
  name: string;
  path: string;
  description: string | undefined;
  document: string;
}

/** What users, groups and roles share: attached managed policies (names of this account's, or ARNs) and inline policies. */
export interface SeedPolicyHolder extends Located {
  name: string;
  path: string;
  policies: string[];
  inlinePolicies: Map<string, string>;
}

export type SeedGroup = SeedPolicyHolder;

export interface SeedUser extends SeedPolicyHolder {
  groups: string[];
  tags: Map<string, string>;
  accessKeys: SeedAccessKey[];
}

export interface SeedRole extends SeedPolicyHolder {
  description: string | undefined;
  trustPolicy: string;
  maxSessionDuration: number | undefined;
  tags: Map<string, string>;
}

export interface SeedKey extends Located {
  id: string;
  region: string;
  description: string;
  keySpec: string;
  keyUsage: string | undefined;
  /** Base64 (symmetric and HMAC keys) or a PEM private key (asymmetric keys), with its line. */
  material: { text: string; line: number } | undefined;
  policy: string | undefined;
  tags: Map<string, string>;
  enabled: boolean;
  rotation: { enabled: boolean; periodInDays: number | undefined } | undefined;
  aliases: Array<{ name: string; line: number }>;
  grants: SeedGrant[];
}

export interface SeedGrant extends Located {
  name: string;
  grantee: string;
  retiringPrincipal: string | undefined;
  operations: string[];
  encryptionContextSubset: Map<string, string> | undefined;
  encryptionContextEquals: Map<string, string> | undefined;
}

const ACCOUNT_ID = /^[0-9]{12}$/;
const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** AWS's long-term access key ids: AKIA and 16 characters of its base-32 alphabet (what kmsd mints too). */
const ACCESS_KEY_ID = /^AKIA[A-Z2-7]{16}$/;
/** 40 characters, the length and alphabet of AWS's secret access keys. */
const SECRET_ACCESS_KEY = /^[A-Za-z0-9/+]{40}$/;

/** Reads and shape-checks the seed file at `path`; every mistake is a UsageError naming its line. */
export function readSeedFile(path: string): SeedFile {
  const { doc, lineOf } = readYamlFile(path, "seed file");
  const fail = (node: unknown, message: string): never => {
    throw new UsageError(`${path}:${lineOf(node)}: ${message}`);
  };
  const reader = new Reader(lineOf, fail);
  if (doc.contents === null) return { path, accounts: [] };
  const top = reader.mapping(doc.contents, "the seed file", ["accounts"]);
  const accounts = reader.list(top, "accounts", (node) => readAccount(reader, node));
  const seen = new Set<string>();
  for (const account of accounts) {
    if (seen.has(account.id)) throw new UsageError(`${path}:${account.line}: account ${account.id} is listed twice`);
    seen.add(account.id);
  }
  return { path, accounts };
}

function readAccount(r: Reader, node: Node): SeedAccount {
  const fields = r.mapping(node, "an account", ["id", "rootAccessKeys", "policies", "groups", "users", "roles", "keys"]);
  const id = r.string(fields, "id", { pattern: ACCOUNT_ID, means: "12 digits, in quotes" });
  return {
    line: r.lineOf(node),
    id,
    rootAccessKeys: r.list(fields, "rootAccessKeys", (item) => readAccessKey(r, item)),
    policies: r.list(fields, "policies", (item) => {
      const policy = r.mapping(item, "a policy", ["name", "path", "description", "document"]);
      return {
        line: r.lineOf(item),
        name: r.string(policy, "name"),
        path: r.optionalString(policy, "path") ?? "/",
        description: r.optionalString(policy, "description"),
        document: r.document(policy, "document"),
      };
    }),
    groups: r.list(fields, "groups", (item) => readHolder(r, item, r.mapping(item, "a group", ["name", "path", "policies", "inlinePolicies"]))),
    users: r.list(fields, "users", (item) => {
      const user = r.mapping(item, "a user", ["name", "path", "policies", "inlinePolicies", "groups", "tags", "accessKeys"]);
      return {
        ...readHolder(r, item, user),
        groups: r.strings(user, "groups"),
        tags: r.stringMap(user, "tags") ?? new Map(),
        accessKeys: r.list(user, "accessKeys", (key) => readAccessKey(r, key)),
      };
    }),
    roles: r.list(fields, "roles", (item) => {
      const role = r.mapping(item, "a role", ["name", "path", "policies", "inlinePolicies", "description", "trustPolicy", "maxSessionDuration", "tags"]);
      return {
        ...readHolder(r, item, role),
        description: r.optionalString(role, "description"),
        trustPolicy: r.document(role, "trustPolicy"),
        maxSessionDuration: r.optionalNumber(role, "maxSessionDuration"),
        tags: r.stringMap(role, "tags") ?? new Map(),
      };
    }),
    keys: r.list(fields, "keys", (item) => readKey(r, item)),
  };
}

function readHolder(r: Reader, node: Node, fields: Fields): SeedPolicyHolder {
  const inline = fields.get("inlinePolicies");
  const inlinePolicies = new Map<string, string>();
  if (inline) {
    for (const pair of r.mapping(inline.value, "inlinePolicies (policy names and their documents)")) {
      inlinePolicies.set(pair[0], r.documentOf(pair[1].value, `inline policy ${pair[0]}`));
    }
  }
  return { line: r.lineOf(node), name: r.string(fields, "name"), path: r.optionalString(fields, "path") ?? "/", policies: r.strings(fields, "policies"), inlinePolicies };
}

function readAccessKey(r: Reader, node: Node): SeedAccessKey {
  const fields = r.mapping(node, "an access key", ["id", "secret", "status"]);
  const status = r.optionalString(fields, "status") ?? "Active";
  if (status !== "Active" && status !== "Inactive") r.fail(fields.get("status")?.value, "status must be Active or Inactive");
  return {
    line: r.lineOf(node),
    id: r.string(fields, "id", { pattern: ACCESS_KEY_ID, means: "AKIA and 16 characters from A-Z and 2-7" }),
    secret: r.string(fields, "secret", { pattern: SECRET_ACCESS_KEY, means: "40 characters from A-Z, a-z, 0-9, / and +", secret: true }),
    status: status as "Active" | "Inactive",
  };
}

function readKey(r: Reader, node: Node): SeedKey {
  const fields = r.mapping(node, "a key", ["id", "region", "description", "keySpec", "keyUsage", "material", "policy", "tags", "enabled", "rotation", "aliases", "grants"]);
  const material = fields.get("material");
  const rotationNode = fields.get("rotation");
  let rotation: SeedKey["rotation"];
  if (rotationNode) {
    const rotationFields = r.mapping(rotationNode.value, "rotation", ["enabled", "periodInDays"]);
    rotation = { enabled: r.optionalBoolean(rotationFields, "enabled") ?? true, periodInDays: r.optionalNumber(rotationFields, "periodInDays") };
  }
  return {
    line: r.lineOf(node),
    id: r.string(fields, "id", { pattern: KEY_ID, means: "a key id (a UUID in lower case)" }),
    region: r.optionalString(fields, "region") ?? DEFAULT_REGION,
    description: r.optionalString(fields, "description") ?? "",
    keySpec: r.optionalString(fields, "keySpec") ?? "SYMMETRIC_DEFAULT",
    keyUsage: r.optionalString(fields, "keyUsage"),
    material: material ? { text: r.string(fields, "material", { secret: true }), line: r.lineOf(material.value) } : undefined,
    policy: fields.has("policy") ? r.document(fields, "policy") : undefined,
    tags: r.stringMap(fields, "tags") ?? new Map(),
    enabled: r.optionalBoolean(fields, "enabled") ?? true,
    rotation,
    aliases: r.list(fields, "aliases", (item) => ({ name: r.scalarString(item, "an alias name"), line: r.lineOf(item) })),
    grants: r.list(fields, "grants", (item) => {
      const grant = r.mapping(item, "a grant", ["name", "grantee", "retiringPrincipal", "operations", "encryptionContextSubset", "encryptionContextEquals"]);
      return {
        line: r.lineOf(item),
        name: r.string(grant, "name"),
        grantee: r.string(grant, "grantee"),
        retiringPrincipal: r.optionalString(grant, "retiringPrincipal"),
        operations: r.strings(grant, "operations"),
        encryptionContextSubset: r.stringMap(grant, "encryptionContextSubset"),
        encryptionContextEquals: r.stringMap(grant, "encryptionContextEquals"),
      };
    }),
  };
}

/** A mapping's values by key, each with its node (for its line). */
type Fields = Map<string, { value: Node | null }>;

/** Typed reads of YAML nodes; each mistake fails naming the node's line. */
class Reader {
  readonly lineOf: (node: unknown) => number;
  readonly fail: (node: unknown, message: string) => never;
  readonly #owners = new WeakMap<Fields, unknown>();

  constructor(lineOf: (node: unknown) => number, fail: (node: unknown, message: string) => never) {
    this.lineOf = lineOf;
    this.fail = fail;
  }

  /** A mapping's fields; with `known`, any other key fails. */
  mapping(node: unknown, what: string, known: readonly string[]): Fields;
  mapping(node: unknown, what: string): Array<[string, { value: Node | null }]>;
  mapping(node: unknown, what: string, known?: readonly string[]): Fields | Array<[string, { value: Node | null }]> {
    if (!isMap(node)) return this.fail(node, `${what} must be a mapping`);
    const entries: Array<[string, { value: Node | null }]> = [];
    for (const pair of node.items as Array<Pair<unknown, unknown>>) {
      if (!isScalar(pair.key) || typeof pair.key.value !== "string") return this.fail(pair.key, `a key of ${what} must be text`);
      const key = pair.key.value;
      if (known && !known.includes(key)) this.fail(pair.key, `unknown field '${key}' in ${what} (known: ${known.join(", ")})`);
      entries.push([key, { value: (pair.value ?? null) as Node | null }]);
    }
    if (!known) return entries;
    const fields = new Map(entries);
    this.#owners.set(fields, node);
    return fields;
  }

  /** The mapping node `fields` were read from (a missing field's message names its line). */
  #nodeOf(fields: Fields): unknown {
    return this.#owners.get(fields);
  }

  list<T>(fields: Fields, key: string, each: (node: Node) => T): T[] {
    const entry = fields.get(key);
    if (!entry) return [];
    if (!isSeq(entry.value)) return this.fail(entry.value, `${key} must be a list`);
    return (entry.value.items as Node[]).map(each);
  }

  string(fields: Fields, key: string, format?: { pattern?: RegExp; means?: string; secret?: boolean }): string {
    const entry = fields.get(key);
    if (!entry) return this.fail(this.#nodeOf(fields), `${key} is required`);
    const value = this.scalarString(entry.value, key);
    if (format?.pattern && !format.pattern.test(value)) this.fail(entry.value, `${key} must be ${format.means ?? "valid"}${format.secret ? "" : `, not '${value}'`}`);
    return value;
  }

  optionalString(fields: Fields, key: string): string | undefined {
    return fields.has(key) ? this.string(fields, key) : undefined;
  }

  scalarString(node: unknown, what: string): string {
    if (!isScalar(node) || typeof node.value !== "string") return this.fail(node, `${what} must be text${isScalar(node) && node.value !== null ? " (put it in quotes)" : ""}`);
    return node.value;
  }

  optionalNumber(fields: Fields, key: string): number | undefined {
    const entry = fields.get(key);
    if (!entry) return undefined;
    if (!isScalar(entry.value) || typeof entry.value.value !== "number") return this.fail(entry.value, `${key} must be a number`);
    return entry.value.value;
  }

  optionalBoolean(fields: Fields, key: string): boolean | undefined {
    const entry = fields.get(key);
    if (!entry) return undefined;
    if (!isScalar(entry.value) || typeof entry.value.value !== "boolean") return this.fail(entry.value, `${key} must be true or false`);
    return entry.value.value;
  }

  strings(fields: Fields, key: string): string[] {
    return this.list(fields, key, (node) => this.scalarString(node, `an item of ${key}`));
  }

  stringMap(fields: Fields, key: string): Map<string, string> | undefined {
    const entry = fields.get(key);
    if (!entry) return undefined;
    return new Map(this.mapping(entry.value, key).map(([name, { value }]) => [name, this.scalarString(value, `${key}.${name}`)]));
  }

  /** A policy document: a mapping (written as YAML) or its JSON text. */
  document(fields: Fields, key: string): string {
    const entry = fields.get(key);
    if (!entry) return this.fail(this.#nodeOf(fields), `${key} is required`);
    return this.documentOf(entry.value, key);
  }

  documentOf(node: Node | null, what: string): string {
    if (isMap(node)) return JSON.stringify(node.toJSON());
    if (isScalar(node) && typeof node.value === "string") return node.value;
    return this.fail(node, `${what} must be a policy document: a mapping, or its JSON as text`);
  }
}
