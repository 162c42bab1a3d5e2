/**
 * Policy documents: `parsePolicy` validates a document as AWS does when it is stored and
 * compiles it once (wildcards to RegExps, conditions to operator functions), so that
 * evaluation never parses JSON. It throws PolicyParseError, which callers map to their
 * service's error (KMS MalformedPolicyDocumentException, IAM MalformedPolicyDocument).
 */
import { parsedJsonWellFormed } from "../unicode.ts";
import { PolicyParseError } from "./errors.ts";
import type { NamedPrincipal } from "./principal.ts";
import { parseStatement, type CompiledStatement, type PolicyKind, type StatementContext } from "./statement.ts";

export type { PolicyKind } from "./statement.ts";
export type { NamedPrincipal } from "./principal.ts";

/** A validated, compiled policy document. */
export interface CompiledPolicy {
  readonly kind: PolicyKind;
  readonly version: "2012-10-17" | "2008-10-17";
  readonly id: string | undefined;
  readonly statements: readonly CompiledStatement[];
  /** The IAM and STS principals its Principal and NotPrincipal elements name. */
  readonly namedPrincipals: readonly NamedPrincipal[];
}

/** Limits a caller may set. */
export interface ParseOptions {
  /** Maximum size in bytes (UTF-8); defaults to 32 KB for key policies and to none otherwise. */
  readonly maxBytes?: number | undefined;
}

/** AWS KMS's key policy size quota: 32 kilobytes. */
export const KEY_POLICY_MAX_BYTES = 32768;

const TOP_LEVEL = new Set(["Version", "Id", "Statement"]);
// Key policies may hold printable ASCII, Latin-1 Supplement, tab, line feed and carriage return.
const KEY_POLICY_CHARS = /^[\t\n\r\u0020-\u007e\u00a0-\u00ff]*$/u;

/** Validates and compiles a policy document for the given use. */
export function parsePolicy(json: string, kind: PolicyKind, options: ParseOptions = {}): CompiledPolicy {
  const maxBytes = options.maxBytes ?? (kind === "resource" ? KEY_POLICY_MAX_BYTES : undefined);
  if (maxBytes !== undefined && utf8Length(json) > maxBytes) {
    throw new PolicyParseError(`The policy document exceeds the maximum allowed size of ${maxBytes} bytes.`);
  }
  if (kind === "resource" && !KEY_POLICY_CHARS.test(json)) {
    throw new PolicyParseError("The policy document contains characters that are not allowed in a key policy.");
  }
  const doc = parseJsonObject(json);
  for (const element of Object.keys(doc)) {
    if (!TOP_LEVEL.has(element)) throw new PolicyParseError(`Syntax errors in policy. Unsupported element: ${element}.`);
  }
  const version = parseVersion(doc["Version"]);
  const id = doc["Id"];
  if (id !== undefined && typeof id !== "string") throw new PolicyParseError("Syntax errors in policy. Id must be a string.");
  const rawStatements = statementList(doc["Statement"]);
  const ctx: StatementContext = { kind, variables: version === "2012-10-17", named: [], sids: new Set() };
  const statements = rawStatements.map((st) => parseStatement(st, ctx));
  return { kind, version, id, statements, namedPrincipals: dedupe(ctx.named) };
}

/** The principals a policy names, for the caller to check that each exists before storing it. */
export function policyPrincipals(policy: CompiledPolicy): readonly NamedPrincipal[] {
  return policy.namedPrincipals;
}

function parseJsonObject(json: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new PolicyParseError("Syntax errors in policy. The policy document is not valid JSON.");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new PolicyParseError("Syntax errors in policy. The policy document must be a JSON object.");
  }
  // The rule request bodies follow (server/jsonProtocol.ts): a condition on "\ud800" would compare
  // unlike "\ufffd" here though both bind as U+FFFD in a ciphertext.
  if (!json.isWellFormed() || !parsedJsonWellFormed(json, doc)) {
    throw new PolicyParseError("Syntax errors in policy. A string in the policy document is not valid Unicode: it holds an unpaired surrogate.");
  }
  return doc as Record<string, unknown>;
}

function parseVersion(version: unknown): CompiledPolicy["version"] {
  // Without Version, AWS applies the original 2008-10-17 language (no policy variables).
  if (version === undefined) return "2008-10-17";
  if (version === "2012-10-17" || version === "2008-10-17") return version;
  throw new PolicyParseError(`Invalid policy version: ${JSON.stringify(version)}. Use "2012-10-17" or "2008-10-17".`);
}

function statementList(raw: unknown): unknown[] {
  if (raw === undefined) throw new PolicyParseError("Syntax errors in policy. Missing required field Statement.");
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw new PolicyParseError("Syntax errors in policy. The policy must contain at least one statement.");
  return list;
}

function dedupe(named: readonly NamedPrincipal[]): NamedPrincipal[] {
  const seen = new Map<string, NamedPrincipal>();
  for (const principal of named) seen.set(principal.arn, principal);
  return [...seen.values()];
}

// Counted without Node's Buffer: the web console runs this parser in the browser too.
const utf8 = new TextEncoder();
function utf8Length(text: string): number {
  return utf8.encode(text).length;
}
